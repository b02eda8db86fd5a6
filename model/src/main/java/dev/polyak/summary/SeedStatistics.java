package dev.polyak.summary;

import dev.polyak.diag.SeedSpread;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.Stats;
import java.util.Arrays;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The statistics of summary.avro over the seeds of a config: {@link Stats} of one figure with its
 * Student t confidence interval, and the paired t-test of two configs over matched seeds. Student t
 * quantiles and tail probabilities come from Apache Commons Math's {@link TDistribution}
 * (regularized incomplete beta function).
 */
public final class SeedStatistics {
  /** Two-sided confidence level of {@link Stats}' interval. */
  public static final double CONFIDENCE = 0.95;

  private SeedStatistics() {}

  /**
   * Count, mean, sample standard deviation (0 for one value), min, max and the 95 % interval mean ±
   * t(0.975; n − 1) std / √n (the mean itself for one value) of {@code values}, summed in the given
   * order; null without values.
   */
  public static Stats of(double[] values) {
    if (values.length == 0) {
      return null;
    }
    double mean = SeedSpread.mean(values);
    double std = values.length < 2 ? 0 : SeedSpread.sampleStandardDeviation(values, mean);
    double half =
        values.length < 2 ? 0 : tQuantile(values.length - 1) * std / Math.sqrt(values.length);
    return Stats.newBuilder()
        .setN(values.length)
        .setMean(mean)
        .setStd(std)
        .setMin(Arrays.stream(values).min().orElseThrow())
        .setMax(Arrays.stream(values).max().orElseThrow())
        .setCi95Low(mean - half)
        .setCi95High(mean + half)
        .build();
  }

  /**
   * The paired comparison of {@code mine[i]} with {@code theirs[i]} (one pair per seed where both
   * finished): mean and sample standard deviation of the differences mine − theirs, the paired t
   * statistic mean / (std / √n) and its two-sided p-value with n − 1 degrees of freedom; t and p
   * are null with fewer than two pairs or differences that do not vary. Null without pairs.
   */
  public static PairedComparison paired(String against, double[] mine, double[] theirs) {
    if (mine.length != theirs.length) {
      throw new IllegalArgumentException(
          "paired values differ in count: " + mine.length + " and " + theirs.length);
    }
    if (mine.length == 0) {
      return null;
    }
    double[] differences = new double[mine.length];
    for (int i = 0; i < mine.length; i++) {
      differences[i] = mine[i] - theirs[i];
    }
    int n = differences.length;
    double mean = SeedSpread.mean(differences);
    double std = n < 2 ? 0 : SeedSpread.sampleStandardDeviation(differences, mean);
    Double t = null;
    Double p = null;
    if (n >= 2 && std > 0) {
      t = mean / (std / Math.sqrt(n));
      p = twoSidedP(t, n - 1);
    }
    return PairedComparison.newBuilder()
        .setAgainst(against)
        .setPairs(n)
        .setMeanDifference(mean)
        .setStdDifference(std)
        .setTStatistic(t)
        .setPValue(p)
        .build();
  }

  /**
   * The 0.975 quantile of Student's t with {@code degreesOfFreedom} (12.706 for 1, 1.960 as it
   * grows).
   */
  public static double tQuantile(int degreesOfFreedom) {
    return distribution(degreesOfFreedom).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
  }

  /**
   * P(|T| ≥ |t|) for Student's t with {@code degreesOfFreedom}, from the lower tail (accurate for
   * large |t|).
   */
  public static double twoSidedP(double t, int degreesOfFreedom) {
    return Math.min(1, 2 * distribution(degreesOfFreedom).cumulativeProbability(-Math.abs(t)));
  }

  private static TDistribution distribution(int degreesOfFreedom) {
    if (degreesOfFreedom < 1) {
      throw new IllegalArgumentException(
          "Student's t needs at least one degree of freedom, got " + degreesOfFreedom);
    }
    return new TDistribution(null, degreesOfFreedom); // no sampling, so no random generator
  }
}
