package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedules against hand-computed kept counts. */
class PruningScheduleTest {
  @Test
  void theRoundingRuleNeverPrunesMoreThanTheRatio() {
    assertThat(PruningSchedule.kept(12, 0.5)).isEqualTo(6);
    assertThat(PruningSchedule.kept(7, 0.5)).isEqualTo(4);
    assertThat(PruningSchedule.kept(4, 0.3)).isEqualTo(3);
    assertThat(PruningSchedule.kept(10, 0.3))
        .isEqualTo(7); // 0.3 * 10 = 2.9999999999999996 in binary
    assertThat(PruningSchedule.kept(144, 0.0)).isEqualTo(144);
    assertThat(PruningSchedule.kept(144, 1.0)).isZero();
    assertThatThrownBy(() -> PruningSchedule.kept(4, 1.5)).hasMessageContaining("[0, 1]");
  }

  @Test
  void oneShotPrunesOnceAtItsStep() {
    PruningSchedule s = new PruningSchedule.OneShot(100, 0.5);
    assertThat(s.keptAfter(99, 16, 10)).isEqualTo(16);
    assertThat(s.keptAfter(100, 16, 10)).isEqualTo(8);
    assertThat(s.keptAfter(10_000, 16, 10)).isEqualTo(8);
    assertThat(events(s, 16, 10, 1000)).containsExactly(100L);
  }

  @Test
  void linearPrunesTheSameNumberEveryEpochUntilTheFinalRatio() {
    // 16 heads, prune 75 % = 12 over epochs 2..5 (4 epochs): 3 per epoch, at the ends of epochs 2,
    // 3, 4, 5
    PruningSchedule s = new PruningSchedule.Linear(2, 5, 0.75);
    int[] expected = {16, 16, 16, 13, 10, 7, 4, 4};
    for (int epoch = 0; epoch < expected.length; epoch++) {
      assertThat(s.keptAfter((long) epoch * 50, 16, 50))
          .as("after %d epochs", epoch)
          .isEqualTo(expected[epoch]);
    }
    assertThat(events(s, 16, 50, 400)).containsExactly(150L, 200L, 250L, 300L);
    // 10 over 4 epochs: cumulative floor(10 e / 4) = 2, 5, 7, 10
    PruningSchedule uneven = new PruningSchedule.Linear(0, 3, 0.625);
    assertThat(
            List.of(
                uneven.keptAfter(1, 16, 1),
                uneven.keptAfter(2, 16, 1),
                uneven.keptAfter(3, 16, 1),
                uneven.keptAfter(4, 16, 1)))
        .containsExactly(14, 11, 9, 6);
  }

  @Test
  void iterativePrunesAFractionOfWhatIsLeftDownToTheFloor() {
    // 100 filters, 20 % of the rest every 2 epochs, never below 30 kept: 80, 64, 52 (51.2), 42
    // (41.6), 34, 30
    PruningSchedule s = new PruningSchedule.Iterative(2, 0.2, 0.7);
    List<Integer> kept = new ArrayList<>();
    for (int round = 1; round <= 8; round++) {
      kept.add(s.keptAfter(2L * round * 10, 100, 10));
    }
    assertThat(kept).containsExactly(80, 64, 52, 42, 34, 30, 30, 30);
    assertThat(s.keptAfter(19, 100, 10)).isEqualTo(100);
  }

  @Test
  void keptCountsNeverIncrease() {
    for (PruningSchedule s :
        List.of(
            new PruningSchedule.OneShot(7, 0.4),
            new PruningSchedule.Linear(1, 9, 0.9),
            new PruningSchedule.Iterative(1, 0.1, 0.95))) {
      int previous = Integer.MAX_VALUE;
      for (long step = 0; step < 300; step++) {
        int k = s.keptAfter(step, 37, 3);
        assertThat(k).as("%s at step %d", s, step).isLessThanOrEqualTo(previous).isBetween(0, 37);
        previous = k;
      }
    }
  }

  @Test
  void invalidSchedulesAreRefused() {
    assertThatThrownBy(() -> new PruningSchedule.OneShot(-1, 0.5))
        .hasMessageContaining("at least 0");
    // Step 0 prunes at initialisation, before any training step (SNIP and GraSP).
    assertThat(new PruningSchedule.OneShot(0, 0.5).prunesAt(0, 12, 10)).isTrue();
    assertThat(new PruningSchedule.OneShot(0, 0.5).keptAfter(0, 12, 10)).isEqualTo(6);
    assertThat(new PruningSchedule.OneShot(0, 0.5).prunesAt(1, 12, 10)).isFalse();
    assertThatThrownBy(() -> new PruningSchedule.Linear(5, 2, 0.5))
        .hasMessageContaining("start_epoch");
    assertThatThrownBy(() -> new PruningSchedule.Iterative(1, 1.0, 0.5))
        .hasMessageContaining("fraction");
    assertThatThrownBy(() -> new PruningSchedule.Linear(0, 2, 0.5).keptAfter(1, 4, 0))
        .hasMessageContaining("epoch");
  }

  private static List<Long> events(PruningSchedule s, int p, long stepsPerEpoch, long steps) {
    List<Long> events = new ArrayList<>();
    for (long step = 1; step <= steps; step++) {
      if (s.prunesAt(step, p, stepsPerEpoch)) {
        events.add(step);
      }
    }
    return events;
  }
}
