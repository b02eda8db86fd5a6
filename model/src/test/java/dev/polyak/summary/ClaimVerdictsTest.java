package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.ClaimVerdict;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunStatus;
import dev.polyak.sweep.Claim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * claims.avro on hand-built report files whose verdicts are known: a clear win, a clear loss,
 * intervals that contain 0, one pair, no pairs. Estimates and intervals are worked out by hand; the
 * quantiles come from tables (t(0.975; 3) = 3.182446, F(0.975; 3, 3) = 15.439182).
 */
class ClaimVerdictsTest {
  private static final double T_975_3 = 3.182446;
  private static final double F_975_3_3 = 15.439182;
  private static final double EPS = 1e-5;

  private static final String DENSE = "model=mlp method=dense";
  private static final long[] SEEDS = {0, 1, 2, 3};

  /** Final eval perplexity of seeds 0..3. */
  private static final Map<String, double[]> FINAL =
      Map.of(
          "dense", new double[] {100, 110, 120, 130},
          "pl-gate", new double[] {95, 104, 117, 124}, // -5, -6, -3, -6: a clear win
          "random", new double[] {108, 119, 127, 139}, // +8, +9, +7, +9: a clear loss
          "kappa-rank", new double[] {102, 107, 123, 128}); // +2, -3, +3, -2: no telling

  /** Eval perplexity at step 20 and at step 30 of seeds 0..3. */
  private static final Map<String, double[][]> MIDDLE =
      Map.of(
          "dense", new double[][] {{150, 160, 170, 180}, {105, 115, 125, 135}},
          "pl-gate", new double[][] {{141, 149, 162, 168}, {99, 109, 121, 125}},
          "random", new double[][] {{160, 170, 180, 190}, {120, 130, 140, 150}},
          "kappa-rank", new double[][] {{150, 160, 170, 180}, {110, 120, 130, 140}});

  /** Whole-model κ of pl-gate seeds 0..3 just before and just after its pruning event. */
  private static final double[][] KAPPA_AROUND_EVENT = {
    {1000, 900, 1100, 1000}, {800, 700, 950, 880}
  };

  @TempDir Path dir;

  @BeforeEach
  void reportFiles() {
    SweepFixture runs = new SweepFixture();
    List<PruneEvent> events = new ArrayList<>();
    List<DiagnosticRecord> diagnostics = new ArrayList<>();
    for (String method : List.of("dense", "pl-gate", "random", "kappa-rank")) {
      for (int s = 0; s < SEEDS.length; s++) {
        String id = finished(runs, method, SEEDS[s], FINAL.get(method)[s], MIDDLE.get(method), s);
        if (method.equals("pl-gate")) {
          events.add(event(id));
          diagnostics.add(
              model(id, 10, "ckpt-0000000010-prune-before.safetensors", KAPPA_AROUND_EVENT[0][s]));
          diagnostics.add(
              model(id, 10, "ckpt-0000000010-prune.safetensors", KAPPA_AROUND_EVENT[1][s]));
        } else {
          diagnostics.add(model(id, 10, "ckpt-0000000010.safetensors", 2000 + s));
        }
        // rows either side, which a jump over the event must not use
        diagnostics.add(model(id, 0, "ckpt-0000000000.safetensors", 5000));
        diagnostics.add(model(id, 20, "ckpt-0000000020.safetensors", 3000 + 7 * s));
      }
    }
    // lth: one finished seed (99 against dense's 100); snip: seeds no dense run has
    finished(runs, "lth", 0, 99, MIDDLE.get("pl-gate"), 0);
    finished(runs, "snip", 10, 90, MIDDLE.get("pl-gate"), 0);
    finished(runs, "snip", 11, 91, MIDDLE.get("pl-gate"), 1);
    // seed 4: dense finished, pl-gate failed
    finished(runs, "dense", 4, 140, MIDDLE.get("dense"), 3);
    runs.add(
        SweepFixture.run(config("pl-gate"), "pl-gate", 0.5, 4)
            .setStatus(RunStatus.FAILED)
            .setError("boom")
            .setLastGoodStep(10)
            .setTrainSeconds(1)
            .setPruningSeconds(1)
            .build(),
        new double[] {300, 200});
    runs.write(dir, false, false);
    AvroFiles.write(dir.resolve(ReportFiles.PRUNE_EVENTS), PruneEvent.class, events);
    AvroFiles.write(dir.resolve(ReportFiles.DIAGNOSTICS), DiagnosticRecord.class, diagnostics);
  }

  private static String config(String method) {
    return method.equals("dense") ? DENSE : "model=mlp method=" + method + " ratio=0.5";
  }

  /**
   * A finished run: eval 300, 200, then {@code middle[0][s]} at step 20, {@code middle[1][s]} at 30
   * and {@code last} at 40.
   */
  private static String finished(
      SweepFixture runs, String method, long seed, double last, double[][] middle, int s) {
    boolean dense = method.equals("dense");
    var run =
        SweepFixture.run(config(method), method, dense ? 0 : 0.5, seed)
            .setStatus(RunStatus.FINISHED)
            .setLastGoodStep(40)
            .setTrainSeconds(4)
            .setPruningSeconds(dense ? 0 : 1)
            .setFinalEvalMetric(last)
            .setFinalTrainMetric(last)
            .setFinalEvalLoss(Math.log(last))
            .setPruneSteps(dense ? List.of() : List.of(10L))
            .build();
    runs.add(run, new double[] {300, 200, middle[0][s], middle[1][s], last});
    return run.getRunId();
  }

  private static PruneEvent event(String runId) {
    return PruneEvent.newBuilder()
        .setRunId(runId)
        .setStep(10)
        .setEvent(0)
        .setMethod("pl-gate")
        .setMethodOptions(Map.of())
        .setScope(List.of("neuron"))
        .setStructureIds(List.of("layer0/neuron0", "layer0/neuron1"))
        .setScores(List.of(2.0, 1.0))
        .setKeptBefore(List.of(true, true))
        .setKeptAfter(List.of(true, false))
        .setTargetKept(1)
        .setMinPerLayer(1)
        .setKeptParametersBefore(100)
        .setKeptParametersAfter(50)
        .setFlopsBefore(200)
        .setFlopsAfter(100)
        .setScoringSamples(8)
        .setWallSeconds(1)
        .setScoringSeconds(0.5)
        .setCheckpointBefore("ckpt-0000000010-prune-before.safetensors")
        .setCheckpointAfter("ckpt-0000000010-prune.safetensors")
        .build();
  }

  private static DiagnosticRecord model(String runId, long step, String checkpoint, double kappa) {
    return DiagnosticRecord.newBuilder()
        .setRunId(runId)
        .setStep(step)
        .setCheckpoint(checkpoint)
        .setStructureId("model")
        .setKind(DiagnosticKind.MODEL)
        .setKept(true)
        .setParameters(100)
        .setLambdaMin(1)
        .setLambdaMax(kappa)
        .setConditionNumber(kappa)
        .setEntropy(0.5)
        .setSingular(false)
        .setEigenvalueFloor(1e-12)
        .setProbeSamples(8)
        .setSeed(0)
        .setScalarOutput("pntk")
        .build();
  }

  private static Claim claim(String statistic, String config, String against, String direction) {
    long step =
        statistic.startsWith("metric_at_step:") ? Long.parseLong(statistic.substring(15)) : -1;
    Claim.Statistic s =
        step >= 0
            ? Claim.Statistic.METRIC_AT_STEP
            : Claim.Statistic.valueOf(statistic.toUpperCase(java.util.Locale.ROOT));
    return new Claim(
        config + "-vs-" + against,
        "a claim",
        s,
        step,
        Map.of("method", config),
        Map.of("method", against),
        Claim.Direction.valueOf(direction.toUpperCase(java.util.Locale.ROOT)),
        null);
  }

  private ClaimRecord verdict(String statistic, String config, String against, String direction) {
    return ClaimVerdicts.evaluate(dir, List.of(claim(statistic, config, against, direction)))
        .get(0);
  }

  private static void assertInterval(ClaimRecord r, double estimate, double half) {
    assertThat(r.getEstimate()).isCloseTo(estimate, within(EPS));
    assertThat(r.getCi95Low()).isCloseTo(estimate - half, within(EPS));
    assertThat(r.getCi95High()).isCloseTo(estimate + half, within(EPS));
  }

  @Test
  void aClearWinIsSupported() {
    ClaimRecord r = verdict("final_metric", "pl-gate", "dense", "lower");

    // differences -5, -6, -3, -6: mean -5, s = sqrt(6 / 3); seed 4's pl-gate run failed
    assertThat(r.getPairs()).isEqualTo(4);
    assertThat(r.getConfigMean()).isCloseTo(110, within(EPS));
    assertThat(r.getAgainstMean()).isCloseTo(115, within(EPS));
    assertInterval(r, -5, T_975_3 * Math.sqrt(2) / 2);
    assertThat(r.getVerdict()).isEqualTo(ClaimVerdict.SUPPORTED);
    assertThat(r.getReason())
        .startsWith("95 % interval [-7.250, -2.750] lies below 0, the side the paper claims.")
        .contains("n = 4 pairs, t(0.975; 3) = 3.182.")
        .endsWith("1 pair(s) left out: the config run did not finish.");
    assertThat(r.getConfigs()).containsExactly("model=mlp method=pl-gate ratio=0.5");
    assertThat(r.getAgainstConfigs()).containsExactly(DENSE);
    assertThat(r.getUnit()).isEqualTo("perplexity");
    assertThat(r.getEstimand()).isEqualTo("mean paired difference config - against");
    assertThat(r.getReference()).isZero();
  }

  @Test
  void aClearLossIsContradictedAndSupportsTheOppositeClaim() {
    ClaimRecord lower = verdict("final_metric", "random", "dense", "lower");

    // differences 8, 9, 7, 9: mean 8.25, s^2 = 2.75 / 3
    assertInterval(lower, 8.25, T_975_3 * Math.sqrt(2.75 / 3) / 2);
    assertThat(lower.getVerdict()).isEqualTo(ClaimVerdict.CONTRADICTED);
    assertThat(lower.getReason()).startsWith("95 % interval [6.727, 9.773] lies above 0, against");
    assertThat(verdict("final_metric", "random", "dense", "higher").getVerdict())
        .isEqualTo(ClaimVerdict.SUPPORTED);
  }

  @Test
  void anIntervalAroundZeroIsInconclusive() {
    ClaimRecord r = verdict("final_metric", "kappa-rank", "dense", "lower");

    // differences 2, -3, 3, -2: mean 0, s^2 = 26 / 3
    assertInterval(r, 0, T_975_3 * Math.sqrt(26.0 / 3) / 2);
    assertThat(r.getVerdict()).isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(r.getReason()).contains("contains 0: inconclusive at this scale.");
  }

  @Test
  void onePairHasNoIntervalAndNoPairNoEstimate() {
    ClaimRecord one = verdict("final_metric", "lth", "dense", "lower");
    assertThat(one.getPairs()).isEqualTo(1);
    assertThat(one.getEstimate()).isEqualTo(-1.0);
    assertThat(one.getCi95Low()).isNull();
    assertThat(one.getVerdict()).isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(one.getReason()).isEqualTo("One pair: no interval from a single seed.");

    ClaimRecord none = verdict("final_metric", "snip", "dense", "lower");
    assertThat(none.getPairs()).isZero();
    assertThat(none.getEstimate()).isNull();
    assertThat(none.getVerdict()).isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(none.getReason())
        .isEqualTo(
            "No pair of runs with the statistic: no estimate. 2 run(s) of the config had no"
                + " single run to pair with.");
  }

  @Test
  void theMetricAtAStepAndTheStepsToTheDenseFinalFigure() {
    ClaimRecord at20 = verdict("metric_at_step:20", "pl-gate", "dense", "lower");
    // differences -9, -11, -8, -12: mean -10, s^2 = 10 / 3
    assertInterval(at20, -10, T_975_3 * Math.sqrt(10.0 / 3) / 2);
    assertThat(at20.getStatistic()).isEqualTo("metric_at_step:20");
    assertThat(at20.getVerdict()).isEqualTo(ClaimVerdict.SUPPORTED);
    assertThat(verdict("metric_at_step:25", "pl-gate", "dense", "lower").getReason())
        .contains("4 pair(s) left out: no evaluation at step 25.");

    ClaimRecord steps = verdict("steps_to_dense_final", "pl-gate", "dense", "lower");
    // dense reaches its own final figure at step 40; pl-gate reaches it at 30, 30, 40, 30
    assertThat(steps.getConfigMean()).isCloseTo(32.5, within(EPS));
    assertThat(steps.getAgainstMean()).isCloseTo(40, within(EPS));
    assertInterval(steps, -7.5, T_975_3 * 5 / 2);
    assertThat(steps.getVerdict()).isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(steps.getUnit()).isEqualTo("steps");
    // random never reaches dense's final figure
    assertThat(verdict("seconds_to_dense_final", "random", "dense", "higher").getReason())
        .isEqualTo(
            "No pair of runs with the statistic: no estimate. 4 pair(s) left out: a run never"
                + " reached its dense run's final metric.");
  }

  @Test
  void theKappaJumpOverThePruningEventAgainstDenseOverTheSameSteps() {
    ClaimRecord r = verdict("kappa_jump", "pl-gate", "dense", "lower");

    // pl-gate: after - before = -200, -200, -150, -120; dense over the same step (10 to 10): 0
    assertThat(r.getAgainstMean()).isZero();
    assertThat(r.getConfigMean()).isCloseTo(-167.5, within(EPS));
    double s = Math.sqrt((2 * 32.5 * 32.5 + 17.5 * 17.5 + 47.5 * 47.5) / 3);
    assertInterval(r, -167.5, T_975_3 * s / 2);
    assertThat(r.getVerdict()).isEqualTo(ClaimVerdict.SUPPORTED);
    assertThat(r.getUnit()).isEqualTo("kappa");

    ClaimRecord trace = verdict("trace_jump", "pl-gate", "dense", "lower");
    assertThat(trace.getPairs()).isZero();
    assertThat(trace.getReason())
        .contains("4 pair(s) left out: no Hessian trace (hutchinson_probes: 0).");
    assertThat(verdict("kappa_jump", "random", "dense", "lower").getReason())
        .contains("4 pair(s) left out: neither run has a pruning event.");
  }

  @Test
  void theSeedSpreadIsARatioOfStandardDeviationsWithItsFInterval() {
    ClaimRecord r = verdict("seed_spread", "pl-gate", "dense", "lower");

    // pl-gate 95, 104, 117, 124: s^2 = 506 / 3; dense 100..130: s^2 = 500 / 3 (seed 4 unpaired)
    double ratio = Math.sqrt(506.0 / 500);
    assertThat(r.getPairs()).isEqualTo(4);
    assertThat(r.getConfigMean()).isCloseTo(Math.sqrt(506.0 / 3), within(EPS));
    assertThat(r.getEstimate()).isCloseTo(ratio, within(EPS));
    assertThat(r.getCi95Low()).isCloseTo(ratio / Math.sqrt(F_975_3_3), within(EPS));
    assertThat(r.getCi95High()).isCloseTo(ratio * Math.sqrt(F_975_3_3), within(EPS));
    assertThat(r.getReference()).isEqualTo(1);
    assertThat(r.getVerdict()).isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(r.getReason()).contains("contains 1: inconclusive at this scale.");
  }

  @Test
  void theVerdictRule() {
    assertThat(ClaimVerdicts.verdict(-2.0, -1.0, 0, Claim.Direction.LOWER))
        .isEqualTo(ClaimVerdict.SUPPORTED);
    assertThat(ClaimVerdicts.verdict(-2.0, -1.0, 0, Claim.Direction.HIGHER))
        .isEqualTo(ClaimVerdict.CONTRADICTED);
    assertThat(ClaimVerdicts.verdict(-2.0, 0.0, 0, Claim.Direction.LOWER))
        .isEqualTo(ClaimVerdict.INCONCLUSIVE);
    assertThat(ClaimVerdicts.verdict(1.5, 2.0, 1, Claim.Direction.HIGHER))
        .isEqualTo(ClaimVerdict.SUPPORTED);
    assertThat(ClaimVerdicts.verdict(null, null, 0, Claim.Direction.LOWER))
        .isEqualTo(ClaimVerdict.INCONCLUSIVE);
  }

  @Test
  void claimsAvroHoldsTheVerdictsAndGoesWithTheClaims() {
    List<Claim> claims =
        List.of(
            claim("final_metric", "pl-gate", "dense", "lower"),
            claim("final_metric", "random", "dense", "lower"));

    List<ClaimRecord> written = ClaimVerdicts.write(dir, claims);

    assertThat(ReportFiles.readAll(dir.resolve(ReportFiles.CLAIMS), ClaimRecord.class))
        .isEqualTo(written);
    assertThat(written)
        .extracting(ClaimRecord::getVerdict)
        .containsExactly(ClaimVerdict.SUPPORTED, ClaimVerdict.CONTRADICTED);
    assertThat(ClaimVerdicts.write(dir, List.of())).isEmpty();
    assertThat(Files.exists(dir.resolve(ReportFiles.CLAIMS))).isFalse();
  }
}
