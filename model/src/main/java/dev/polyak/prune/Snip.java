package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.polyak.diag.GradientNorms;
import java.util.List;

/**
 * The {@code snip} importance, SNIP (Lee, Ajanthan and Torr, ICLR 2019) made structured: score_i =
 * Σ over structure i's slices of |∂L/∂w ⊙ w|, with the gradient of the mean task loss over the
 * scoring samples. A masked structure scores 0. The model's weights, masks and gates are left as
 * they were; its gradients are left zero.
 *
 * <p>Method and choices: docs/design/importance.md (snip).
 */
public final class Snip implements Importance {
  @Override
  public double[] scores(ScoringContext context) {
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    try {
      return SliceSums.of(
          context.model(),
          (position, weight) ->
              gradient.get(position).toType(DataType.FLOAT64, false).mul(weight).abs());
    } finally {
      gradient.forEach(NDArray::close);
    }
  }
}
