package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import dev.polyak.diag.GradientNorms;
import dev.polyak.diag.HessianTrace;
import java.util.List;

/**
 * The {@code grasp} importance, GraSP (Wang, Zhang and Grosse, "Picking Winning Tickets Before
 * Training by Preserving Gradient Flow", ICLR 2020) made structured. GraSP scores each weight by
 * S(−θ) = −θ ⊙ Hg, with g the gradient and H the Hessian of the loss, and removes the weights with
 * the <em>largest</em> S (removing them reduces the gradient flow gᵀg least). So that higher means
 * kept, this importance is the negated structured sum:
 *
 * <pre>score_i = −Σ_{slices of i} S(−θ) = Σ_{slices of i} θ ⊙ Hg</pre>
 *
 * (a signed sum, not of absolute values, as in the paper; where slices of two structures overlap,
 * the shared weights count for both). g is the gradient of the mean task loss over all scoring
 * samples (the batches' gradients weighted by batch size / n), and Hg the Hessian of that same loss
 * times g, by {@link HessianTrace#hessianVectorProduct(dev.polyak.diag.ProbeObjective, List,
 * double, int) central differences of gradients} with a perturbation εg of RMS {@code relativeStep}
 * × RMS(θ): truncation error O(ε²) (none for a quadratic loss) plus float32 rounding of order
 * u‖g‖/ε; three gradient passes over the scoring samples in all. The default step 1e-3 is ten times
 * the diagnostics' (whose forward differences have truncation error O(ε)): with central differences
 * the larger step costs little truncation and cuts the rounding tenfold. Against closed forms
 * (GraspTest) the scores are off by 7e-5 of the largest per-weight term for least squares and 2e-5
 * for a small MLP; at step 1e-4, 3e-4 and 2e-4. The paper's temperature on the
 * logits is not applied (the scoring loss is the task loss as the trainer defines it). The paper
 * scores once at initialisation; when to score is the pruner's choice.
 *
 * <p>A masked structure scores as it is: its slices' gradients are zero and so are their rows of
 * Hg (the loss does not depend on them), so its score is 0. The weights are restored bit for bit
 * after the finite differences, masks and gates are left as they were, gradients left zero.
 *
 * @param relativeStep the finite-difference step relative to RMS(θ), > 0
 */
public record Grasp(double relativeStep) implements Importance {
  public static final double DEFAULT_RELATIVE_STEP = 1e-3;

  public Grasp {
    if (!(relativeStep > 0)) {
      throw new IllegalArgumentException("the GraSP finite-difference step must be > 0, got " + relativeStep);
    }
  }

  public Grasp() {
    this(DEFAULT_RELATIVE_STEP);
  }

  @Override
  public double[] scores(ScoringContext context) {
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    List<NDArray> hg;
    try {
      hg = HessianTrace.hessianVectorProduct(context.data(), gradient, relativeStep, context.batchSize());
    } finally {
      gradient.forEach(NDArray::close);
    }
    try {
      return SliceSums.of(context.model(), (position, weight) -> weight.mul(hg.get(position)));
    } finally {
      hg.forEach(NDArray::close);
    }
  }
}
