package dev.polyak.prune;

/**
 * A pruning method's scoring: one score per structure of the context's model, in the model's
 * structure order; higher means more important, so {@link KeepTop} keeps it first. A pure function
 * of the context (the model's weights and masks, the scoring samples, the seed and the event
 * index): the same context gives the same scores. Implementations leave the model as they found it
 * (weights, masks, no soft gates, gradients of the parameters may be overwritten).
 */
@FunctionalInterface
public interface Importance {
  double[] scores(ScoringContext context);

  /**
   * The scores with what the method records beside them: pl-gate's objective per gate batch (empty
   * for the others).
   */
  default Scored score(ScoringContext context) {
    return new Scored(scores(context), new double[0]);
  }

  /** Scores and the method's objective trace. */
  record Scored(double[] scores, double[] objectiveTrace) {}
}
