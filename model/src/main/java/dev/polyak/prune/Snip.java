package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.polyak.diag.GradientNorms;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code snip} importance, SNIP (Lee, Ajanthan and Torr, ICLR 2019) made structured: score_i =
 * Σ over structure i's slices of |∂L/∂w ⊙ w|, with the gradient of the mean task loss over the
 * scoring samples. A masked structure scores 0. At weight level ({@code scope: [weights]}, {@link
 * #weightScores}) the same |∂L/∂w ⊙ w| per element, unsummed: the published, unstructured SNIP. The
 * model's weights, masks and gates are left as they were; its gradients are left zero.
 *
 * <p>Method and choices: docs/design/importance.md (snip).
 */
public final class Snip implements Importance, WeightImportance {
  @Override
  public double[] scores(ScoringContext context) {
    return score(context, perWeight -> SliceSums.of(context.model(), perWeight));
  }

  @Override
  public Map<String, double[]> weightScores(ScoringContext context) {
    return score(context, perWeight -> PerWeightScores.of(context.model(), perWeight));
  }

  /** {@code reduce} applied to the per-weight |g ⊙ w|. */
  private static <T> T score(ScoringContext context, Function<SliceSums.PerWeight, T> reduce) {
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    try {
      return reduce.apply(
          (position, weight) ->
              gradient.get(position).toType(DataType.FLOAT64, false).mul(weight).abs());
    } finally {
      gradient.forEach(NDArray::close);
    }
  }
}
