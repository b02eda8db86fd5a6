package dev.polyak.diag;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The spread of one configuration's final metric over the seeds of a sweep (sensitivity to the
 * initialisation and data order): count, mean, sample standard deviation, min, max and range. The
 * values are summed in seed order, so the figures do not depend on the order the runs finished in.
 *
 * @param count the number of seeds
 * @param mean the mean metric
 * @param standardDeviation the sample standard deviation (divisor count − 1; NaN for one seed)
 * @param min the smallest metric
 * @param max the largest metric
 * @param range {@code max − min}
 */
public record SeedSpread(
    int count, double mean, double standardDeviation, double min, double max, double range) {

  /** One run's final metric and the seed it ran with. */
  public record SeedMetric(long seed, double metric) {}

  /**
   * @throws IllegalArgumentException if there is no run, a seed appears twice, or a metric is not
   *     finite (leave diverged runs out and report them apart)
   */
  public static SeedSpread of(List<SeedMetric> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("the seed spread needs at least one run");
    }
    Set<Long> seeds = new HashSet<>();
    for (SeedMetric run : runs) {
      if (!seeds.add(run.seed())) {
        throw new IllegalArgumentException(
            "seed " + run.seed() + " appears twice; one final metric per seed");
      }
      if (!Double.isFinite(run.metric())) {
        throw new IllegalArgumentException(
            "the metric of seed "
                + run.seed()
                + " is "
                + run.metric()
                + "; leave diverged runs out of the spread");
      }
    }
    double[] values =
        runs.stream()
            .sorted(Comparator.comparingLong(SeedMetric::seed))
            .mapToDouble(SeedMetric::metric)
            .toArray();
    double mean = mean(values);
    double min = Arrays.stream(values).min().orElseThrow();
    double max = Arrays.stream(values).max().orElseThrow();
    return new SeedSpread(
        values.length, mean, sampleStandardDeviation(values, mean), min, max, max - min);
  }

  /** The mean, summed in the given order. */
  public static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  /**
   * The sample standard deviation about {@code mean} (divisor n − 1), NaN for fewer than two
   * values.
   */
  public static double sampleStandardDeviation(double[] values, double mean) {
    if (values.length < 2) {
      return Double.NaN;
    }
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    return Math.sqrt(squares / (values.length - 1));
  }
}
