package dev.polyak.train;

import dev.polyak.data.read.TokenDataset;
import java.util.SplittableRandom;

/**
 * Small random token rows (word ids only, no specials) for trainer tests that need no real text.
 */
final class ToyTokens {
  private ToyTokens() {}

  static TokenDataset random(long seed, int rows, int length, int vocabulary) {
    int[][] ids = new int[rows][length];
    SplittableRandom random = new SplittableRandom(seed);
    for (int[] row : ids) {
      for (int t = 0; t < length; t++) {
        row[t] = 5 + random.nextInt(vocabulary - 5);
      }
    }
    return new TokenDataset("train", ids, new int[rows], vocabulary, length);
  }
}
