package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same losses to the bit: alone, two runs at once in one JVM, and stopped and resumed
 * from a snapshot of weights, optimizer state and random-stream cursor.
 */
class TrainingDeterminismTest {
  private static final Mlp.Config CONFIG = new Mlp.Config(10, new int[] {32, 16}, 4);
  private static final int BATCH = 16;

  /** Everything a resume needs. */
  private record Snapshot(
      Map<String, float[]> weights, Map<String, float[]> optimizer, long dataCursor, int step) {}

  /**
   * A toy task whose label is the argmax of the first four inputs; data drawn from the run's
   * stream.
   */
  private static List<Float> train(long seed, int steps, Snapshot from, Snapshot[] out) {
    Autograd.ensureEngine();
    List<Float> losses = new ArrayList<>();
    RandomStreams streams = new RandomStreams(seed);
    RandomStream data = streams.stream("data-order");
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(CONFIG, manager, streams.stream("init"));
        AdamW optimizer = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0.01f)) {
      model.masks().set(0, 5, false);
      int start = 0;
      if (from != null) {
        try (Autograd.Mode off = Autograd.recording(false)) {
          from.weights().forEach((name, values) -> model.parameters().get(name).set(values));
        }
        optimizer.load(from.optimizer(), model.parameters());
        data.seek(from.dataCursor());
        start = from.step();
      }
      for (int step = start; step < start + steps; step++) {
        float[] x = new float[BATCH * CONFIG.inputs()];
        data.fillGaussian(x, 1f);
        float[] y = new float[BATCH];
        for (int b = 0; b < BATCH; b++) {
          int best = 0;
          for (int k = 1; k < 4; k++) {
            best = x[b * CONFIG.inputs() + k] > x[b * CONFIG.inputs() + best] ? k : best;
          }
          y[b] = best;
        }
        try (NDScope scope = new NDScope();
            Autograd.Mode on = Autograd.recording(true)) {
          NDArray logits = model.forward(manager.create(x, new Shape(BATCH, CONFIG.inputs())));
          NDArray onehot = manager.create(y).oneHot(CONFIG.outputs());
          NDArray loss = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
          Autograd.backward(loss);
          losses.add(loss.getFloat());
        }
        optimizer.step(model.parameters(), 0.01f);
      }
      if (out != null) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        model.parameters().all().forEach((name, array) -> weights.put(name, array.toFloatArray()));
        out[0] = new Snapshot(weights, optimizer.state(), data.position(), start + steps);
      }
    }
    return losses;
  }

  @Test
  void concurrentRunsOfTheSameSeedGiveIdenticalLosses() throws Exception {
    List<Float> alone = train(42, 60, null, null);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<List<Float>> a = pool.submit(() -> train(42, 60, null, null));
      Future<List<Float>> b = pool.submit(() -> train(42, 60, null, null));
      assertThat(a.get()).isEqualTo(alone);
      assertThat(b.get()).isEqualTo(alone);
    } finally {
      pool.shutdown();
    }
    assertThat(alone.get(59)).isLessThan(alone.get(0));
    assertThat(train(43, 60, null, null)).isNotEqualTo(alone);
  }

  @Test
  void resumingFromASnapshotReproducesTheUninterruptedRun() {
    List<Float> uninterrupted = train(7, 40, null, null);
    Snapshot[] half = new Snapshot[1];
    List<Float> first = train(7, 20, null, half);
    List<Float> second = train(7, 20, half[0], null);
    List<Float> resumed = new ArrayList<>(first);
    resumed.addAll(second);
    assertThat(resumed).isEqualTo(uninterrupted);
  }
}
