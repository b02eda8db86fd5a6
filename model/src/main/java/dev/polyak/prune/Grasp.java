package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import dev.polyak.diag.GradientNorms;
import dev.polyak.diag.HessianTrace;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code grasp} importance, GraSP (Wang, Zhang and Grosse, ICLR 2020) made structured: score_i
 * = Σ over structure i's slices of θ ⊙ Hg (higher means kept), g the gradient of the mean task loss
 * over the scoring samples and Hg by central differences of gradients with a step of {@code
 * relativeStep} × RMS(θ). A masked structure scores 0. At weight level ({@code scope: [weights]},
 * {@link #weightScores}) the same θ ⊙ Hg per element, unsummed: the published GraSP, whose score
 * S(−θ) = −θ ⊙ Hg removes the highest first, which is keeping the highest θ ⊙ Hg. The weights are
 * restored bit for bit, masks and gates are left as they were, gradients left zero.
 *
 * <p>Method, step size and measured error: docs/design/importance.md (grasp).
 *
 * @param relativeStep the finite-difference step relative to RMS(θ), > 0
 */
public record Grasp(double relativeStep) implements Importance, WeightImportance {
  public static final double DEFAULT_RELATIVE_STEP = 1e-3;

  public Grasp {
    if (!(relativeStep > 0)) {
      throw new IllegalArgumentException(
          "the GraSP finite-difference step must be > 0, got " + relativeStep);
    }
  }

  public Grasp() {
    this(DEFAULT_RELATIVE_STEP);
  }

  @Override
  public double[] scores(ScoringContext context) {
    return score(context, perWeight -> SliceSums.of(context.model(), perWeight));
  }

  @Override
  public Map<String, double[]> weightScores(ScoringContext context) {
    return score(context, perWeight -> PerWeightScores.of(context.model(), perWeight));
  }

  /** {@code reduce} applied to the per-weight θ ⊙ Hg. */
  private <T> T score(ScoringContext context, Function<SliceSums.PerWeight, T> reduce) {
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    List<NDArray> hg;
    try {
      hg =
          HessianTrace.hessianVectorProduct(
              context.data(), gradient, relativeStep, context.batchSize());
    } finally {
      gradient.forEach(NDArray::close);
    }
    try {
      return reduce.apply((position, weight) -> weight.mul(hg.get(position)));
    } finally {
      hg.forEach(NDArray::close);
    }
  }
}
