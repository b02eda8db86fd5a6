package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.diag.SeedSpread.SeedMetric;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spread of a final metric over seeds, against figures computed by hand. */
class SeedSpreadTest {
  @Test
  void fourSeedsGiveTheHandComputedFigures() {
    // metrics 1, 2, 4, 5: mean 3, squared deviations 4 + 1 + 1 + 4 = 10, sample variance 10 / 3
    SeedSpread spread =
        SeedSpread.of(
            List.of(
                new SeedMetric(3, 4),
                new SeedMetric(0, 1),
                new SeedMetric(7, 5),
                new SeedMetric(1, 2)));

    assertThat(spread.count()).isEqualTo(4);
    assertThat(spread.mean()).isEqualTo(3.0);
    assertThat(spread.standardDeviation()).isEqualTo(Math.sqrt(10.0 / 3));
    assertThat(spread.standardDeviation())
        .isCloseTo(1.8257418583505538, org.assertj.core.data.Offset.offset(1e-15));
    assertThat(spread.min()).isEqualTo(1.0);
    assertThat(spread.max()).isEqualTo(5.0);
    assertThat(spread.range()).isEqualTo(4.0);
  }

  @Test
  void theOrderTheRunsArriveInDoesNotChangeABit() {
    List<SeedMetric> runs =
        List.of(
            new SeedMetric(1, 0.1),
            new SeedMetric(2, 0.7),
            new SeedMetric(3, 1e-17),
            new SeedMetric(4, 0.3333));
    SeedSpread forward = SeedSpread.of(runs);
    SeedSpread backward =
        SeedSpread.of(List.of(runs.get(3), runs.get(2), runs.get(1), runs.get(0)));
    assertThat(backward).isEqualTo(forward);
  }

  @Test
  void oneSeedHasNoStandardDeviationAndNoSpread() {
    SeedSpread spread = SeedSpread.of(List.of(new SeedMetric(42, 0.25)));
    assertThat(spread.count()).isEqualTo(1);
    assertThat(spread.mean()).isEqualTo(0.25);
    assertThat(spread.standardDeviation()).isNaN();
    assertThat(spread.range()).isZero();
  }

  @Test
  void refusesNoRunsARepeatedSeedAndADivergedMetric() {
    assertThatThrownBy(() -> SeedSpread.of(List.of())).hasMessageContaining("at least one run");
    assertThatThrownBy(() -> SeedSpread.of(List.of(new SeedMetric(1, 0.5), new SeedMetric(1, 0.6))))
        .hasMessageContaining("seed 1 appears twice");
    assertThatThrownBy(
            () -> SeedSpread.of(List.of(new SeedMetric(1, 0.5), new SeedMetric(2, Double.NaN))))
        .hasMessageContaining("the metric of seed 2 is NaN");
  }
}
