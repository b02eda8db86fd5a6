package dev.polyak.prune;

import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;

/**
 * The {@code random} importance, the sanity baseline: uniform scores in [0, 1) from the run seed's
 * "pruning-random" stream at position {@code event << 32} (one draw per structure in model order),
 * so each pruning event of a run draws anew and the same seed draws the same.
 */
public final class RandomImportance {
  /** The stream the scores come from. */
  public static final String PURPOSE = "pruning-random";

  private RandomImportance() {}

  public static double[] scores(int structures, long seed, int event) {
    RandomStream stream = new RandomStreams(seed).stream(PURPOSE);
    stream.seek((long) event << 32);
    double[] scores = new double[structures];
    for (int i = 0; i < structures; i++) {
      scores[i] = stream.nextDouble();
    }
    return scores;
  }

  /**
   * At weight level: one draw per element of each prunable weight, weights in the model's order,
   * from the same stream and position.
   */
  public static java.util.Map<String, double[]> weightScores(ScoringContext context) {
    dev.polyak.nn.WeightMasks masks = context.model().weightMasks();
    RandomStream stream = new RandomStreams(context.seed()).stream(PURPOSE);
    stream.seek((long) context.event() << 32);
    java.util.Map<String, double[]> scores = new java.util.LinkedHashMap<>();
    for (String name : masks.names()) {
      double[] s = new double[masks.size(name)];
      for (int i = 0; i < s.length; i++) {
        s[i] = stream.nextDouble();
      }
      scores.put(name, s);
    }
    return scores;
  }
}
