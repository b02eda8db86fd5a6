package dev.polyak.prune;

import java.util.Map;

/**
 * A pruning method's scoring at weight level, for the {@code weights} scope: one score per element
 * of each prunable weight ({@link dev.polyak.nn.WeightMasks}), higher means more important. The
 * same contract as {@link Importance} otherwise: a pure function of the context that leaves the
 * model as it found it.
 */
@FunctionalInterface
public interface WeightImportance {
  /** Each prunable weight's scores, flat in row-major order, by name in the model's order. */
  Map<String, double[]> weightScores(ScoringContext context);
}
