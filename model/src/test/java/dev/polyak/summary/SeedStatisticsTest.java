package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.Stats;
import org.junit.jupiter.api.Test;

/**
 * Student t quantiles and p-values against a published table (two-sided 0.05 critical values of any
 * statistics textbook's t table, 3 decimals) and against scipy 1.17 ({@code t.ppf}, {@code 2 *
 * t.sf}) to 1e-10; Stats and paired comparisons at their edges.
 */
class SeedStatisticsTest {
  @Test
  void tQuantilesMatchThePublishedTable() {
    int[] df = {1, 2, 3, 4, 5, 10, 20, 30, 120};
    double[] table = {12.706, 4.303, 3.182, 2.776, 2.571, 2.228, 2.086, 2.042, 1.980};
    for (int i = 0; i < df.length; i++) {
      assertThat(SeedStatistics.tQuantile(df[i]))
          .as("df %d", df[i])
          .isCloseTo(table[i], within(5e-4));
    }
  }

  @Test
  void tQuantilesAndPValuesMatchScipy() {
    assertThat(SeedStatistics.tQuantile(1)).isCloseTo(12.706204736174694, within(1e-8));
    assertThat(SeedStatistics.tQuantile(2)).isCloseTo(4.302652729749462, within(1e-10));
    assertThat(SeedStatistics.tQuantile(10)).isCloseTo(2.228138851986274, within(1e-10));
    // 2 * scipy.stats.t.sf(12, 3), 2 * t.sf(40, 5), 2 * t.sf(0.5, 7)
    assertThat(SeedStatistics.twoSidedP(12, 3)).isCloseTo(0.0012450158007893362, within(1e-12));
    assertThat(SeedStatistics.twoSidedP(-40, 5)).isCloseTo(1.8411962171772954e-07, within(1e-15));
    assertThat(SeedStatistics.twoSidedP(0.5, 7)).isCloseTo(0.6324071356892844, within(1e-12));
    // the table's critical values give p = 0.05 and, for 0.995, p = 0.01
    assertThat(SeedStatistics.twoSidedP(4.302652729749462, 2)).isCloseTo(0.05, within(1e-12));
    assertThat(SeedStatistics.twoSidedP(9.925, 2)).isCloseTo(0.01, within(1e-5));
    assertThat(SeedStatistics.twoSidedP(0, 4)).isEqualTo(1.0);
  }

  @Test
  void oneValueHasNoSpreadAndItsIntervalIsTheValue() {
    Stats s = SeedStatistics.of(new double[] {7.5});
    assertThat(s.getN()).isEqualTo(1);
    assertThat(s.getStd()).isZero();
    assertThat(s.getCi95Low()).isEqualTo(7.5);
    assertThat(s.getCi95High()).isEqualTo(7.5);
    assertThat(SeedStatistics.of(new double[0])).isNull();
  }

  @Test
  void pairedComparisonsWithoutSpreadOrWithOnePairHaveNoTest() {
    PairedComparison constant =
        SeedStatistics.paired("other", new double[] {3, 4, 5}, new double[] {1, 2, 3});
    assertThat(constant.getMeanDifference()).isEqualTo(2.0);
    assertThat(constant.getStdDifference()).isZero();
    assertThat(constant.getTStatistic()).isNull();
    assertThat(constant.getPValue()).isNull();

    PairedComparison one = SeedStatistics.paired("other", new double[] {3}, new double[] {1});
    assertThat(one.getPairs()).isEqualTo(1);
    assertThat(one.getTStatistic()).isNull();
    assertThat(SeedStatistics.paired("other", new double[0], new double[0])).isNull();
  }
}
