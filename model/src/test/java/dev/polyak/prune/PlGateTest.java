package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.RunFileException;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestRows;
import java.util.Arrays;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pl-gate on a one-hidden-layer MLP whose even hidden units carry the output and whose odd units
 * have no outgoing weight (the loss cannot depend on their gates), with targets twice the model's
 * output: gating the useful units up lowers the loss, so the gate's best move is to shift the
 * softmax mass onto them.
 */
class PlGateTest {
  private static final int N = 12;
  private static final int INPUTS = 6;
  private static final int HIDDEN = 8;
  private static final int BATCH = 4;

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void theObjectiveDecreasesOverTheGateBatches() {
    try (Fixture f = new Fixture(true)) {
      PlGate.Result result =
          new PlGate(PlGate.Options.defaults().withGateBatches(30)).run(f.context(0));

      double first = mean(result.objective(), 0, 3);
      double last = mean(result.objective(), 27, 30);
      assertThat(last)
          .as("mean objective of the last cycle of batches vs the first")
          .isLessThan(0.9 * first);
      assertThat(result.features()).hasNumberOfRows(HIDDEN);
      assertThat(result.traces()).isNotNull();
      assertThat(result.traceBlocks()).hasSize(HIDDEN);
      assertThat(result.options()).isEqualTo(PlGate.Options.defaults().withGateBatches(30));
      assertThat(Arrays.stream(result.scores()).sum()).isCloseTo(1, within(1e-5));
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void withoutThePenaltyAFeatureThatSeparatesTheUsefulUnitsMakesTheGateKeepThem() {
    try (Fixture f = new Fixture(true)) {
      double[][] features = new double[HIDDEN][];
      for (int j = 0; j < HIDDEN; j++) {
        features[j] = j % 2 == 0 ? new double[] {1.0, 2.0} : new double[] {1e-8, 2.0};
      }
      PlGate.Result result =
          new PlGate(PlGate.Options.defaults().withAlpha(0)).train(f.context(0), features, null);

      boolean[] keep = KeepTop.select(f.model.structures(), result.scores(), HIDDEN / 2, 1);
      assertThat(keep).containsExactly(true, false, true, false, true, false, true, false);
      for (int j = 0; j < HIDDEN; j++) {
        assertThat(result.scores()[j])
            .as("unit %d", j)
            .isCloseTo(j % 2 == 0 ? 0.25 : 0, within(0.05));
      }
      assertThat(mean(result.losses(), 47, 50)).isLessThan(0.5 * mean(result.losses(), 0, 3));
      assertThat(result.traceBlocks()).isNull();
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void whenTheLossIsIndifferentThePenaltyMovesTheGatesOffLargeTraceBlocks() {
    try (Fixture f = new Fixture(false)) {
      double[] blocks = new double[HIDDEN];
      double[][] features = new double[HIDDEN][];
      for (int j = 0; j < HIDDEN; j++) {
        blocks[j] = j < HIDDEN / 2 ? 5.0 : 0.1;
        features[j] = new double[] {blocks[j], 1.0};
      }
      PlGate.Result penalised =
          new PlGate(PlGate.Options.defaults()).train(f.context(0), features, blocks);
      PlGate.Result free =
          new PlGate(PlGate.Options.defaults().withAlpha(0)).train(f.context(0), features, null);

      for (int j = 0; j < HIDDEN; j++) {
        if (blocks[j] > 1) {
          assertThat(penalised.scores()[j]).as("unit %d, large block", j).isLessThan(0.1 / HIDDEN);
        } else {
          assertThat(penalised.scores()[j])
              .as("unit %d, small block", j)
              .isGreaterThan(1.5 / HIDDEN);
        }
        // no gradient at all without the penalty: the initial, nearly uniform gate
        assertThat(free.scores()[j]).isCloseTo(1.0 / HIDDEN, within(0.05 / HIDDEN));
      }
      assertThat(mean(penalised.objective(), 47, 50))
          .isLessThan(0.5 * mean(penalised.objective(), 0, 3));
      assertThat(free.losses()).containsOnly(free.losses()[0]);
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void theSameSeedAndEventGiveBitwiseTheSameScoresAndAnotherEventDrawsAnotherGate() {
    try (Fixture f = new Fixture(true)) {
      f.model.masks().set(0, 3, false);
      f.snapshot = TestMlps.Snapshot.of(f.model, f.x);
      PlGate gate = new PlGate(PlGate.Options.defaults().withGateBatches(6));

      PlGate.Result once = gate.run(f.context(2));
      PlGate.Result again = gate.run(f.context(2));
      PlGate.Result otherEvent = gate.run(f.context(3));

      assertThat(again.scores()).containsExactly(once.scores());
      assertThat(again.objective()).containsExactly(once.objective());
      assertThat(otherEvent.scores()).isNotEqualTo(once.scores());
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void badOptionsNameTheirRunFileKey() {
    PlGate.Options d = PlGate.Options.defaults();
    assertRefused(
        () -> new PlGate.Options(0, 0.01, 5, 1, 10, PlGate.Normalisation.NONE), "gate_width");
    assertRefused(() -> d.withGateLearningRate(Double.NaN), "gate_learning_rate");
    assertRefused(() -> d.withGateBatches(0), "gate_batches");
    assertRefused(() -> d.withAlpha(-1), "alpha");
    assertRefused(
        () -> new PlGate.Options(4, 0.01, 5, 1, 0, PlGate.Normalisation.NONE), "hutchinson_probes");
    assertRefused(() -> new PlGate.Options(4, 0.01, 5, 1, 1, null), "normalisation");
  }

  /**
   * The key is what a run file calls the option, in the message and in the exception's key field.
   */
  private static void assertRefused(ThrowingCallable options, String key) {
    assertThatThrownBy(options)
        .hasMessageStartingWith(key + " must")
        .isInstanceOfSatisfying(RunFileException.class, e -> assertThat(e.key()).isEqualTo(key));
  }

  @Test
  void featuresAreLogScaledThenStandardisedAcrossStructures() {
    double[][] raw = {{1e-3, 0.5}, {1e-1, 0.5}, {0.0, 0.5}, {-1e-20, 0.5}};

    double[][] normalised = PlGate.normalise(raw, PlGate.Normalisation.LOG_STANDARDISED);

    double[] logs = {Math.log(1e-3), Math.log(1e-1), Math.log(1e-13), Math.log(1e-13)};
    double m = Arrays.stream(logs).average().orElseThrow();
    double sd = Math.sqrt(Arrays.stream(logs).map(v -> (v - m) * (v - m)).sum() / 4);
    for (int i = 0; i < 4; i++) {
      assertThat(normalised[i][0]).isCloseTo((logs[i] - m) / sd, within(1e-12));
      assertThat(normalised[i][1]).as("a feature equal for all").isZero();
    }
    assertThat(PlGate.normalise(raw, PlGate.Normalisation.NONE)).isDeepEqualTo(raw);
    double[][] equal = new double[7][];
    Arrays.setAll(equal, i -> new double[] {0.1, 0.3});
    for (double[] row : PlGate.normalise(equal, PlGate.Normalisation.LOG_STANDARDISED)) {
      assertThat(row).as("equal features, however the mean rounds").containsExactly(0, 0);
    }
  }

  private static double mean(double[] values, int from, int to) {
    return Arrays.stream(values, from, to).average().orElseThrow();
  }

  /**
   * The MLP, its data and targets twice its output, and the snapshot to compare with afterwards.
   */
  private static final class Fixture implements AutoCloseable {
    final NDManager manager = NDManager.newBaseManager("PyTorch");
    final float[][] x;
    final Mlp model;
    final ProbeObjective data;
    TestMlps.Snapshot snapshot;

    /**
     * @param useful whether the even units have outgoing weights (otherwise no unit has)
     */
    Fixture(boolean useful) {
      RandomStreams streams = new RandomStreams(31);
      x = TestRows.gaussian(streams.stream("data"), N, INPUTS);
      float[] w0 = new float[INPUTS * HIDDEN];
      streams.stream("weights").fillGaussian(w0, 0.5f);
      float[] b0 = new float[HIDDEN];
      Arrays.fill(b0, 0.5f);
      float[] w1 = new float[HIDDEN];
      for (int j = 0; j < HIDDEN; j += 2) {
        w1[j] = useful ? 0.6f + 0.2f * j : 0f;
      }
      model = TestMlps.mlp(manager, INPUTS, w0, b0, w1, streams.stream("init"));
      float[] y = TestMlps.outputs(model, x);
      for (int b = 0; b < N; b++) {
        y[b] *= 2;
      }
      data = TestMlps.regression(model, x, y);
      snapshot = TestMlps.Snapshot.of(model, x);
    }

    ScoringContext context(int event) {
      return new ScoringContext(data, 31, event, 100, BATCH);
    }

    @Override
    public void close() {
      model.close();
      manager.close();
    }
  }
}
