package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.sweep.SweepProgress;
import org.junit.jupiter.api.Test;

/**
 * The sweep's progress line where there is no terminal: an ETA extrapolated from the steps trained
 * so far, and once the planned steps are trained, the plan's count and no ETA.
 */
class SweepProgressLineTest {
  @Test
  void theEtaExtrapolatesTheStepsTrainedSoFar() {
    // 150 of 600 steps in 30 s: 450 more at 5 steps a second take 90 s.
    SweepProgress.Snapshot s = new SweepProgress.Snapshot(1, 1, 150, 0, 0);
    assertThat(SweepConsole.Progress.line(s, 2, 600, 30))
        .isEqualTo("sweep: runs 1/2 done, 1 running, steps 150/600, 30 s elapsed, ETA 90 s");
  }

  @Test
  void beforeTheFirstStepTheEtaIsUnknown() {
    SweepProgress.Snapshot s = new SweepProgress.Snapshot(0, 2, 0, 0, 0);
    assertThat(SweepConsole.Progress.line(s, 2, 600, 5))
        .isEqualTo("sweep: runs 0/2 done, 2 running, steps 0/600, 5 s elapsed, ETA ?");
  }

  @Test
  void onceThePlannedStepsAreTrainedTheLineEndsAtItsCountWithoutAnEta() {
    SweepProgress.Snapshot done = new SweepProgress.Snapshot(2, 0, 2332, 12, 7);
    assertThat(SweepConsole.Progress.line(done, 2, 2332, 400))
        .isEqualTo(
            "sweep: runs 2/2 done, 0 running, diagnostics 7/12, steps 2332/2332, 400 s elapsed");
    // A run resumed from an older checkpoint than its newest (a corrupt one skipped) trains more
    // than planned: the line still stops at the plan.
    SweepProgress.Snapshot over = new SweepProgress.Snapshot(2, 0, 2340, 12, 12);
    assertThat(SweepConsole.Progress.line(over, 2, 2332, 410))
        .isEqualTo(
            "sweep: runs 2/2 done, 0 running, diagnostics 12/12, steps 2332/2332, 410 s elapsed");
  }
}
