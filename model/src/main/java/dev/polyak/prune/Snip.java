package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.polyak.diag.GradientNorms;
import java.util.List;

/**
 * The {@code snip} importance, SNIP (Lee, Ajanthan and Torr, "SNIP: Single-shot Network Pruning
 * based on Connection Sensitivity", ICLR 2019) made structured: per weight the connection
 * sensitivity |g ⊙ w|, summed over each structure's slices (where slices of two structures
 * overlap, the shared weights count for both),
 *
 * <pre>score_i = Σ_{slices of i} |∂L/∂w ⊙ w|,</pre>
 *
 * with g = ∇L the gradient of the mean task loss over all scoring samples (the batches' gradients
 * summed with weights batch size / n), products and sums in float64. SNIP's normalisation by the
 * sum over all weights is left out: it divides every score by the same number and so changes no
 * ranking. The paper scores once at initialisation; when to score is the pruner's choice.
 *
 * <p>A masked structure scores as it is: its output is zero, so every gradient of its slices is
 * zero and so is its score (weights it shares with a kept structure still count for that one).
 * The model's weights, masks and gates are left as they were; its gradients are left zero.
 */
public final class Snip implements Importance {
  @Override
  public double[] scores(ScoringContext context) {
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    try {
      return SliceSums.of(context.model(),
          (position, weight) -> gradient.get(position).toType(DataType.FLOAT64, false).mul(weight).abs());
    } finally {
      gradient.forEach(NDArray::close);
    }
  }
}
