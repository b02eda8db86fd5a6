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

  /** polyak's cheap gate before gate_samples: 50 Adam steps cycling over the scoring batches. */
  private static final PlGate.Options CHEAP = PlGate.Options.defaults().withGateBatches(50);

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
      PlGate.Result result = new PlGate(CHEAP.withAlpha(0)).train(f.context(0), features, null);

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
      PlGate.Result penalised = new PlGate(CHEAP).train(f.context(0), features, blocks);
      PlGate.Result free = new PlGate(CHEAP.withAlpha(0)).train(f.context(0), features, null);

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
  void withoutGateBatchesTheGateGoesOverEveryBatchOfItsSamplesForEachEpoch() {
    try (Fixture f = new Fixture(true)) {
      PlGate.Options twice =
          new PlGate.Options(16, 0.01, 0, 0, 1, PlGate.Normalisation.NONE, 12, 2, false, 0);

      PlGate.Result result = new PlGate(twice).run(f.context(0));

      // 12 samples at batch 4: 3 batches, twice; the same batch at steps t and t + 3 (v moved).
      assertThat(result.objective()).hasSize(6);
      assertThat(result.gateSamples()).isEqualTo(N);
      assertThat(result.losses()[3]).isNotEqualTo(result.losses()[0]);
    }
  }

  @Test
  void aContinuedGateStartsWhereTheLastEventLeftItAndAResetOneIsDrawnPerEvent() {
    try (Fixture f = new Fixture(true)) {
      PlGate gate = new PlGate(CHEAP.withGateBatches(6));
      PlGate.Result first = gate.run(f.context(0));

      PlGate.Result continued = gate.run(f.context(1), new PlGate.Setup(first.gate(), null, null));
      PlGate.Result reset = gate.run(f.context(1), PlGate.Setup.alone());
      PlGate.Result resetAfterAnotherHistory =
          gate.run(f.context(1), new PlGate.Setup(null, null, null));

      assertThat(first.gate().sha256()).isNotEqualTo(first.start().sha256());
      assertThat(continued.start().sha256()).isEqualTo(first.gate().sha256());
      assertThat(continued.start().w1()).containsExactly(first.gate().w1());
      // reset: a new v per event (event 1's draw, not event 0's, not the last event's end)
      assertThat(reset.start().sha256())
          .isNotEqualTo(first.start().sha256())
          .isNotEqualTo(first.gate().sha256())
          .isEqualTo(resetAfterAnotherHistory.start().sha256());
      assertThat(reset.scores()).containsExactly(resetAfterAnotherHistory.scores());
      assertThat(continued.scores()).isNotEqualTo(reset.scores());
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void theGateHashIsTheSha256OfItsLittleEndianFloats() throws Exception {
    PlGate.Gate gate = new PlGate.Gate(new float[] {1, -2}, new float[] {0.5f}, new float[] {3});
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 0.5f = 00 00 00 3f, 3.0f = 00 00 40 40
    byte[] bytes = java.util.HexFormat.of().parseHex("0000803f000000c00000003f00004040");

    assertThat(gate.sha256())
        .isEqualTo(
            java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)));
  }

  /**
   * The MLP is ReLU with a squared loss, and the gate scales a hidden unit's output: f = Σ_j s_j
   * w1_j relu(w0_j·x + b0_j). Within a ReLU region f is linear in each unit's own weights (w0_j,
   * b0_j) and in w1_j, so the diagonal block of unit j of the loss Hessian is s_j² times the
   * Gauss-Newton block at s = 1: for w1_j, s_j² relu(z_j)²; for (w0_j, b0_j), s_j² w1_j² 1[z_j > 0]
   * (x, 1)(x, 1)ᵀ; the pre-activations z do not depend on s. So tr(H_jj) of the gated model divided
   * by s_j² is the trace at s = 1: the trace does not change. A bias of 10 keeps every
   * pre-activation positive (|w0_j·x| stays far below it), so no finite-difference step crosses a
   * ReLU kink. What is left is the Hutchinson estimator's own noise: a block's estimate also
   * carries the cross terms v_jᵀ H_jk v_k (k ≠ j), zero in expectation but scaling with s_j s_k,
   * not s_j², so each re-estimate is a second draw of the same trace, within a few of the
   * estimate's standard errors of the frozen one.
   */
  @Test
  void reEstimatingTheTraceEqualsTheFrozenGateWhenTheHessianIsConstant() {
    try (Fixture f = new Fixture(true, 10f)) {
      PlGate.Options frozen = CHEAP.withGateBatches(8).withGateLearningRate(0.1);

      PlGate.Result once = new PlGate(frozen).run(f.context(0));
      PlGate.Result every = new PlGate(frozen.withTraceEvery(4)).run(f.context(0));

      // re-estimated at the moved gate (not the same bits) ...
      assertThat(every.traceBlocks()).isNotEqualTo(once.traceBlocks());
      for (int j = 0; j < HIDDEN; j++) {
        // ... but the same trace: two draws of one estimator, 5 standard errors of a difference
        double error = once.traces().structures()[j].standardError();
        assertThat(every.traceBlocks()[j])
            .as("T_%d", j)
            .isCloseTo(once.traceBlocks()[j], within(5 * Math.sqrt(2) * error + 1e-6));
      }
      f.snapshot.assertUnchanged(f.model, f.x);
    }
  }

  @Test
  void structuresOutsideTheScopeKeepAGateOfExactlyOneAndStayOutOfTheSoftmax() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      RandomStreams streams = new RandomStreams(5);
      float[][] x = TestRows.gaussian(streams.stream("data"), N, INPUTS);
      Mlp mlp =
          new Mlp(new Mlp.Config(INPUTS, new int[] {4, 3}, 1), manager, streams.stream("init"));
      float[] y = TestMlps.outputs(mlp, x);
      for (int b = 0; b < N; b++) {
        y[b] = 2 * y[b] + 0.5f;
      }
      RecordingGates model = new RecordingGates(mlp);
      ProbeObjective data = TestMlps.regression(model, x, y);
      boolean[] secondLayerOnly = new boolean[7];
      for (int s = 0; s < 7; s++) {
        secondLayerOnly[s] = model.structures().get(s).layer() == 1;
      }

      PlGate.Result result =
          new PlGate(CHEAP.withGateBatches(5))
              .run(
                  new ScoringContext(data, 5, 0, 10, BATCH),
                  new PlGate.Setup(null, null, secondLayerOnly));

      assertThat(model.gates.keySet()).containsExactly(1);
      assertThat(model.gates.get(1)).hasSize(5 * 3);
      double sum = 0;
      for (int s = 0; s < 7; s++) {
        if (secondLayerOnly[s]) {
          sum += result.scores()[s];
        } else {
          assertThat(result.scores()[s]).as("score of structure %d outside the scope", s).isZero();
        }
      }
      assertThat(sum).isCloseTo(1, within(1e-5));
      assertThat(result.traceBlocks()).hasSize(7);
      mlp.close();
    }
  }

  @Test
  void badOptionsNameTheirRunFileKey() {
    PlGate.Options d = PlGate.Options.defaults();
    assertRefused(
        () -> new PlGate.Options(0, 0.01, 5, 1, 10, PlGate.Normalisation.NONE), "gate_width");
    assertRefused(() -> d.withGateLearningRate(Double.NaN), "gate_learning_rate");
    assertRefused(() -> d.withGateBatches(-1), "gate_batches");
    assertRefused(() -> d.withTraceEvery(-1), "trace_every");
    assertRefused(
        () -> new PlGate.Options(4, 0.01, 5, 1, 1, PlGate.Normalisation.NONE, 64, 0, false, 0),
        "gate_epochs");
    assertRefused(
        () -> new PlGate.Options(4, 0.01, 5, 1, 1, PlGate.Normalisation.NONE, -1, 1, false, 0),
        "gate_samples");
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
      this(useful, 0.5f);
    }

    /**
     * @param bias every hidden unit's bias; large enough, every pre-activation on the data is
     *     positive and the ReLUs act as the identity
     */
    Fixture(boolean useful, float bias) {
      RandomStreams streams = new RandomStreams(31);
      x = TestRows.gaussian(streams.stream("data"), N, INPUTS);
      float[] w0 = new float[INPUTS * HIDDEN];
      streams.stream("weights").fillGaussian(w0, 0.5f);
      float[] b0 = new float[HIDDEN];
      Arrays.fill(b0, bias);
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
