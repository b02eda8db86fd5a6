package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.BadInputException;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.EarlyStoppingStats;
import dev.polyak.schemas.FullSweepComparison;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Early stopping's summary against hand-computed savings and rank correlations. */
class EarlyStoppingSummaryTest {
  private static final String CONFIG = SweepFixture.DENSE;
  @TempDir Path dir;

  private static RunRecord finished(long seed, double finalMetric) {
    return finished(CONFIG, seed, finalMetric);
  }

  /** A finished run of the dense config or of pl-gate at 0.5. */
  private static RunRecord finished(String config, long seed, double finalMetric) {
    boolean dense = config.equals(CONFIG);
    return SweepFixture.run(config, dense ? "dense" : "pl-gate", dense ? 0 : 0.5, seed)
        .setSteps(100)
        .setStatus(RunStatus.FINISHED)
        .setLastGoodStep(100)
        .setTrainSeconds(10)
        .setPruningSeconds(0)
        .setFinalEvalMetric(finalMetric)
        .build();
  }

  private static RunRecord stopped(long seed, long rung) {
    return SweepFixture.run(CONFIG, "dense", 0, seed)
        .setSteps(100)
        .setStatus(RunStatus.STOPPED)
        .setStoppedAtRung(rung)
        .setLastGoodStep(rung)
        .setTrainSeconds(rung / 10.0)
        .setPruningSeconds(0)
        .build();
  }

  private static RungDecision decision(long seed, long rung, double value, boolean continues) {
    return decision(CONFIG, seed, rung, value, continues);
  }

  private static RungDecision decision(
      String config, long seed, long rung, double value, boolean continues) {
    return RungDecision.newBuilder()
        .setRunId(SweepFixture.runId(config, seed))
        .setConfig(config)
        .setSeed(seed)
        .setRung(rung)
        .setSignal("eval")
        .setValue(value)
        .setContinues(continues)
        .setRank(1)
        .setCompared(1)
        .setKept(1)
        .setReduction(3)
        .setSeenRunIds(List.of())
        .setDecidedAtMillis(0)
        .build();
  }

  @Test
  void savingsAndSpearmanAreTheHandComputedOnes() {
    // Seeds 1-3 finished (final 10, 20, 30); seed 4 stopped at 40 after 4 s of training: 60 steps
    // and 60 x 0.1 s = 6 s saved of 4 x 100 steps.
    RunRecord stopped =
        SweepFixture.run(CONFIG, "dense", 0, 4)
            .setSteps(100)
            .setStatus(RunStatus.STOPPED)
            .setStoppedAtRung(40L)
            .setLastGoodStep(40)
            .setTrainSeconds(4)
            .setPruningSeconds(0)
            .build();
    List<RunRecord> runs = List.of(finished(1, 10), finished(2, 20), finished(3, 30), stopped);
    // At rung 40 the finished runs' signals 1, 3, 2 rank 1, 3, 2 against finals ranked 1, 2, 3:
    // sum d^2 = 0 + 1 + 1 = 2, rho = 1 - 6 x 2 / (3 x (9 - 1)) = 0.5.
    List<RungDecision> decisions =
        List.of(
            decision(1, 40, 1, true),
            decision(2, 40, 3, true),
            decision(3, 40, 2, true),
            decision(4, 40, 9, false),
            decision(1, 70, 5, true),
            decision(2, 70, 6, true));

    List<EarlyStoppingSummary.Config> summary = EarlyStoppingSummary.of(runs, decisions);

    assertThat(summary).hasSize(1);
    EarlyStoppingSummary.Config c = summary.get(0);
    assertThat(c.runs()).isEqualTo(4);
    assertThat(c.stoppedNow()).isEqualTo(1);
    assertThat(c.stepsToEnd()).isEqualTo(400);
    assertThat(c.stepsSaved()).isEqualTo(60);
    assertThat(c.secondsSaved()).isCloseTo(6.0, within(1e-12));
    EarlyStoppingSummary.Rung at40 = c.rungs().get(0);
    assertThat(at40.rung()).isEqualTo(40);
    assertThat(at40.reached()).isEqualTo(4);
    assertThat(at40.stopped()).isEqualTo(1);
    assertThat(at40.correlated()).isEqualTo(3);
    assertThat(at40.spearman()).isCloseTo(0.5, within(1e-12));
    // two finished runs at rung 70: too few for a correlation
    assertThat(c.rungs().get(1).correlated()).isEqualTo(2);
    assertThat(c.rungs().get(1).spearman()).isNaN();
  }

  @Test
  void tiedValuesShareTheirMeanRank() {
    assertThat(EarlyStoppingSummary.ranks(new double[] {5, 1, 5, 3}))
        .containsExactly(3.5, 1, 3.5, 2);
    // x ties two values; by hand ranks (1.5, 1.5, 3) vs (1, 2, 3): rho = 1.5 / sqrt(1.5 x 2) =
    // sqrt(3) / 2.
    assertThat(EarlyStoppingSummary.spearman(new double[] {1, 1, 2}, new double[] {1, 2, 3}))
        .isCloseTo(Math.sqrt(3) / 2, within(1e-12));
  }

  /**
   * Six seeds of the dense config and three of pl-gate; a full sweep of the same cells says which
   * seed is best. Dense: ASHA stopped seed 2 at rung 20 although it ends best in the full sweep
   * (30), where seed 4 diverged. Pl-gate: seeds 7 and 8 tie at 20 in the full sweep, so the lower
   * seed is its best, and no rung stopped it.
   */
  @Test
  void saysWhetherTheFullSweepsBestSeedSurvivedAndCorrelatesWithItsFinalMetrics() {
    String plGate = SweepFixture.PL_GATE;
    List<RunRecord> asha =
        List.of(
            finished(CONFIG, 0, 52),
            finished(CONFIG, 1, 41),
            stopped(2, 20),
            finished(CONFIG, 3, 44),
            stopped(4, 40),
            finished(CONFIG, 5, 36),
            finished(plGate, 6, 25),
            finished(plGate, 7, 20),
            finished(plGate, 8, 20));
    double[] signal20 = {5, 4, 9, 3, 6, 2};
    List<RungDecision> decisions = new ArrayList<>();
    for (int seed = 0; seed < 6; seed++) {
      decisions.add(decision(seed, 20, signal20[seed], seed != 2));
    }
    decisions.add(decision(4, 40, 7, false));
    decisions.add(decision(plGate, 6, 20, 1, true));
    decisions.add(decision(plGate, 7, 20, 2, true));
    decisions.add(decision(plGate, 8, 20, 3, true));
    List<RunRecord> fullRuns =
        new ArrayList<>(
            List.of(
                finished(CONFIG, 0, 50),
                finished(CONFIG, 1, 40),
                finished(CONFIG, 2, 30),
                finished(CONFIG, 3, 45),
                SweepFixture.run(CONFIG, "dense", 0, 4)
                    .setStatus(RunStatus.DIVERGED)
                    .setDivergedAtStep(60L)
                    .setLastGoodStep(40)
                    .setTrainSeconds(4)
                    .setPruningSeconds(0)
                    .setFinalEvalMetric(1e9)
                    .build(),
                finished(CONFIG, 5, 35),
                finished(plGate, 6, 25),
                finished(plGate, 7, 20),
                finished(plGate, 8, 20)));
    Path full = dir.resolve("full");
    AvroFiles.write(full.resolve("report").resolve(ReportFiles.RUNS), RunRecord.class, fullRuns);

    List<EarlyStoppingSummary.Config> summary =
        EarlyStoppingSummary.of(
            asha,
            decisions,
            Optional.of(EarlyStoppingSummary.FullSweep.read(full, full.resolve("report"))));

    EarlyStoppingStats dense = summary.get(0).toAvro();
    assertThat(summary.get(0).config()).isEqualTo(CONFIG);
    FullSweepComparison best = dense.getFullSweep();
    assertThat(best.getFolder()).isEqualTo(full.toString());
    assertThat(best.getMatched()).isEqualTo(5); // seed 4 diverged there
    assertThat(best.getBestSeed()).isEqualTo(2);
    assertThat(best.getBestRunId()).isEqualTo(SweepFixture.runId(CONFIG, 2));
    assertThat(best.getBestFinalEvalMetric()).isEqualTo(30.0);
    assertThat(best.getBestSurvived()).isFalse();
    assertThat(best.getBestStoppedAtRung()).isEqualTo(20L);
    // Rung 20 against the full sweep's finals, seeds 0, 1, 2, 3, 5 (seed 4 did not finish there):
    // signals 5, 4, 9, 3, 2 rank 4, 3, 5, 2, 1; finals 50, 40, 30, 45, 35 rank 5, 3, 1, 4, 2;
    // sum d^2 = 1 + 0 + 16 + 4 + 1 = 22, rho = 1 - 6 x 22 / (5 x 24) = -0.1.
    assertThat(dense.getRungs().get(0).getFullCorrelated()).isEqualTo(5);
    assertThat(dense.getRungs().get(0).getFullSpearman()).isCloseTo(-0.1, within(1e-12));
    // Against this sweep's own finals only the four survivors count: 52, 41, 44, 36 for signals
    // 5, 4, 3, 2: ranks 4, 2, 3, 1 vs 4, 3, 2, 1, sum d^2 = 2, rho = 1 - 12 / 60 = 0.8.
    assertThat(dense.getRungs().get(0).getCorrelated()).isEqualTo(4);
    assertThat(dense.getRungs().get(0).getSpearman()).isCloseTo(0.8, within(1e-12));
    // rung 40: only seed 4, which diverged in the full sweep
    assertThat(dense.getRungs().get(1).getFullCorrelated()).isZero();
    assertThat(dense.getRungs().get(1).getFullSpearman()).isNull();

    FullSweepComparison plGateBest = summary.get(1).toAvro().getFullSweep();
    assertThat(plGateBest.getBestSeed()).isEqualTo(7);
    assertThat(plGateBest.getBestSurvived()).isTrue();
    assertThat(plGateBest.getBestStoppedAtRung()).isNull();
    // Without a full sweep there is nothing to compare with.
    assertThat(EarlyStoppingSummary.of(asha, decisions).get(0).toAvro().getFullSweep()).isNull();
  }

  @Test
  void refusesAFullSweepThatIsMissingStoppedRunsOrHoldsOtherCells() {
    Path missing = dir.resolve("missing");
    assertThatThrownBy(
            () -> EarlyStoppingSummary.FullSweep.read(missing, missing.resolve("report")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(missing.resolve("report").resolve("runs.avro") + ": no such file");

    Path early = dir.resolve("early");
    AvroFiles.write(
        early.resolve("report").resolve(ReportFiles.RUNS),
        RunRecord.class,
        List.of(finished(CONFIG, 0, 50), stopped(1, 20)));
    assertThatThrownBy(() -> EarlyStoppingSummary.FullSweep.read(early, early.resolve("report")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not a full sweep: run " + SweepFixture.runId(CONFIG, 1))
        .hasMessageContaining("stopped early at rung 20");

    Path other = dir.resolve("other");
    AvroFiles.write(
        other.resolve("report").resolve(ReportFiles.RUNS),
        RunRecord.class,
        List.of(finished(SweepFixture.PL_GATE, 9, 50)));
    EarlyStoppingSummary.FullSweep otherCells =
        EarlyStoppingSummary.FullSweep.read(other, other.resolve("report"));
    assertThatThrownBy(
            () ->
                EarlyStoppingSummary.of(
                    List.of(finished(CONFIG, 0, 50)),
                    List.of(decision(0, 20, 1, true)),
                    Optional.of(otherCells)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(other + ": holds none of this sweep's runs");
  }
}
