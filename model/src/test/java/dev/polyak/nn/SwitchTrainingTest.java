package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * A training loop over Switch (MLM loss plus the weighted load-balancing loss, AdamW, an expert
 * masked) learns a fixed batch and holds its native memory flat: routing's index arrays and the
 * zero gradients of experts that got no token are all released with their step.
 */
class SwitchTrainingTest {
  private static final Switch.Config CONFIG = new Switch.Config(20, 16, 1, 2, 32, 8, 4, 1.5, 0.01);

  /** Every NDArray still open anywhere in the engine. */
  private static long liveArrays() {
    try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
      return probe.getParentManager().getManagedArrays().size();
    }
  }

  @Test
  void learnsAFixedBatchWithFlatMemory() {
    Autograd.ensureEngine();
    int[] tokens = new int[4 * 8];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (i * 7 + i / 8) % 20;
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(2).stream("init"));
        AdamW optimizer = AdamW.bertDefaults(manager)) {
      model.masks().set(model.expertGroup(0), 3, false);
      NDArray ids = manager.create(tokens, new Shape(4, 8));
      NDArray onehot = ids.reshape(-1).oneHot(CONFIG.vocabSize());
      float first = 0;
      float last = 0;
      long baseline = 0;
      for (int step = 0; step < 100; step++) {
        try (NDScope scope = new NDScope();
            Autograd.Mode on = Autograd.recording(true)) {
          MlmModel.Encoding encoding = model.encodeForTraining(ids);
          NDArray logits = model.mlmLogits(encoding.hidden().reshape(32, CONFIG.hidden()));
          NDArray mlm = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
          Autograd.backward(mlm.add(encoding.auxiliaryLoss()));
          last = mlm.getFloat();
          first = step == 0 ? last : first;
        }
        Autograd.clipGradientNorm(model.parameters().arrays(), 1.0);
        optimizer.step(model.parameters(), 1e-2f);
        if (step == 10) {
          baseline = liveArrays();
        }
      }
      assertThat(liveArrays()).isEqualTo(baseline);
      assertThat(first).isGreaterThan(2.5f); // about ln 20
      assertThat(last).isLessThan(first / 4);
    }
  }
}
