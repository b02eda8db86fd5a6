package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * With one expert and room for every token, routing gives each token probability exactly 1 and no
 * token is dropped, so Switch must compute BERT (checked against its plain-Java reference in
 * BertReferenceTest) given the same weights: this pins the embedding, attention, residual,
 * LayerNorm and MLM-head wiring, and the dispatch/combine that puts expert outputs back in token
 * order.
 */
class SwitchBertEquivalenceTest {
  private static final Bert.Config BERT = new Bert.Config(30, 16, 2, 4, 32, 8);

  @Test
  void oneExpertSwitchComputesBert() {
    Autograd.ensureEngine();
    int[] tokens = new int[3 * 8];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (i * 11 + 3) % 30;
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert bert = new Bert(BERT, manager, new RandomStreams(3).stream("init"));
        Switch moe =
            new Switch(
                Switch.Config.of(BERT, 1, 100.0, 0.5),
                manager,
                new RandomStreams(4).stream("init"));
        Autograd.Mode off = Autograd.recording(false)) {
      // Weights of the right size, so that the blocks are far from the identity.
      bert.parameters()
          .all()
          .forEach(
              (name, array) -> {
                if (name.endsWith("weight")) {
                  array.muli(20f);
                }
              });
      moe.parameters()
          .all()
          .forEach(
              (name, array) -> {
                String source = name.replace(".ffn.expert0.", ".ffn.");
                if (!name.endsWith("router.weight")) {
                  array.set(bert.parameters().get(source).toFloatArray());
                }
              });
      bert.masks().set(1, 3, false);
      moe.masks().set(1, 3, false);
      NDArray ids = manager.create(tokens, new Shape(3, 8));

      float[] expected = bert.forward(ids).toFloatArray();
      MlmModel.Encoding encoding = moe.encodeForTraining(ids);
      float[] actual = moe.mlmLogits(encoding.hidden()).toFloatArray();

      assertThat(actual).hasSameSizeAs(expected);
      for (int i = 0; i < expected.length; i++) {
        assertThat(actual[i])
            .as("logit %d", i)
            .isCloseTo(expected[i], Offset.offset(1e-4f * Math.max(1, Math.abs(expected[i]))));
      }
      // One expert: f = P = 1, so each layer's loss is 1 and the weighted sum 0.5 * 2 layers.
      assertThat(encoding.auxiliaryLoss().getFloat()).isCloseTo(1f, Offset.offset(1e-6f));
      assertThat(encoding.auxiliaryLoss().getShape()).isEqualTo(new Shape());
    }
  }
}
