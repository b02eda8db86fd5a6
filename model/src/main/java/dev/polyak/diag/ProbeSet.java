package dev.polyak.diag;

import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;

/**
 * Chooses the probe samples: n distinct indices of the training split, the first n entries of a
 * Fisher-Yates shuffle drawn from the run's "probes" stream at position 0, sorted. The same seed
 * and split size give the same probes in every process.
 */
public final class ProbeSet {
  private ProbeSet() {}

  public static int[] select(long seed, int population, int n) {
    return select(
        new RandomStreams(seed).stream(RandomStreams.PROBES), population, n, "probe_samples");
  }

  /**
   * {@code n} of {@code population} samples by a partial Fisher-Yates shuffle drawn from {@code
   * stream} where it stands, sorted; {@code what} names n in the error for a bad n.
   */
  public static int[] select(RandomStream stream, int population, int n, String what) {
    if (n < 1 || n > population) {
      throw new IllegalArgumentException(
          what + " must be in 1.." + population + " (the training split's size), got " + n);
    }
    int[] order = new int[population];
    for (int i = 0; i < population; i++) {
      order[i] = i;
    }
    for (int i = 0; i < n; i++) {
      int j = i + stream.nextInt(population - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] chosen = Arrays.copyOf(order, n);
    Arrays.sort(chosen);
    return chosen;
  }
}
