package dev.polyak.bench;

import java.util.Arrays;

/**
 * The median, minimum and maximum of a bench's repeated figures, and how many there were: what the
 * bench commands print for repeated timings and ratios.
 */
record Spread(double median, double min, double max, int count) {
  /** The spread of {@code values}, at least one. */
  static Spread of(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return new Spread(median(values), sorted[0], sorted[sorted.length - 1], sorted.length);
  }

  /** The middle value, or the mean of the two middle values for an even count. */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
