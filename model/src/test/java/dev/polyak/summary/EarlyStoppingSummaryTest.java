package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Early stopping's summary against hand-computed savings and rank correlations. */
class EarlyStoppingSummaryTest {
  private static final String CONFIG = SweepFixture.DENSE;

  private static RunRecord finished(long seed, double finalMetric) {
    return SweepFixture.run(CONFIG, "dense", 0, seed)
        .setSteps(100)
        .setStatus(RunStatus.FINISHED)
        .setLastGoodStep(100)
        .setTrainSeconds(10)
        .setPruningSeconds(0)
        .setFinalEvalMetric(finalMetric)
        .build();
  }

  private static RungDecision decision(long seed, long rung, double value, boolean continues) {
    return RungDecision.newBuilder()
        .setRunId(SweepFixture.runId(CONFIG, seed))
        .setConfig(CONFIG)
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
}
