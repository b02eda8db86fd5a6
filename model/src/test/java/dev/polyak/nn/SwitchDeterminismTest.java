package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same Switch to the bit in two threads at once: weights, routing (with tokens dropped
 * at capacity factor 1), logits, load-balancing loss and gradients.
 */
class SwitchDeterminismTest {
  private static final Switch.Config CONFIG = new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.0, 0.01);

  private record Result(
      Map<String, float[]> weights,
      int[] routed,
      float[] logits,
      float auxiliaryLoss,
      float[] routerGradient) {}

  private static Result run(long seed) {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(seed).stream("init"))) {
      Map<String, float[]> weights = new LinkedHashMap<>();
      model.parameters().all().forEach((name, array) -> weights.put(name, array.toFloatArray()));
      try (Autograd.Mode off = Autograd.recording(false)) {
        model.parameters().get("layer0.ffn.router.weight").muli(100f);
      }
      int[] tokens = new int[4 * 8];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = (i * 13 + 1) % 40;
      }
      NDArray ids = manager.create(tokens, new Shape(4, 8));
      try (Autograd.Mode on = Autograd.recording(true)) {
        int[] routed =
            model
                .route(Bert.embed(model.parameters(), CONFIG.encoder(), ids).reshape(32, 16), 0)
                .experts();
        MlmModel.Encoding encoding = model.encodeForTraining(ids);
        NDArray logits = model.mlmLogits(encoding.hidden());
        Autograd.backward(logits.square().mean().add(encoding.auxiliaryLoss()));
        return new Result(
            weights,
            routed,
            logits.toFloatArray(),
            encoding.auxiliaryLoss().getFloat(),
            model.parameters().get("layer0.ffn.router.weight").getGradient().toFloatArray());
      }
    }
  }

  @Test
  void sameSeedGivesBitwiseTheSameModelInTwoThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Callable<Result> task = () -> run(21);
      List<Future<Result>> results = pool.invokeAll(List.of(task, task));
      Result a = results.get(0).get();
      Result b = results.get(1).get();
      assertThat(a.weights().keySet()).containsExactlyElementsOf(b.weights().keySet());
      a.weights()
          .forEach((name, values) -> assertThat(b.weights().get(name)).as(name).isEqualTo(values));
      assertThat(a.routed()).contains(Switch.DROPPED).isEqualTo(b.routed());
      assertThat(a.logits()).isEqualTo(b.logits());
      assertThat(Float.floatToRawIntBits(a.auxiliaryLoss()))
          .isEqualTo(Float.floatToRawIntBits(b.auxiliaryLoss()));
      assertThat(a.routerGradient()).isEqualTo(b.routerGradient());
      assertThat(run(22).logits()).isNotEqualTo(a.logits());
    } finally {
      pool.shutdownNow();
    }
  }
}
