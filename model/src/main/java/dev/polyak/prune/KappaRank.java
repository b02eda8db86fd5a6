package dev.polyak.prune;

import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.Spectrum;

/**
 * The {@code kappa-rank} importance, the paper's Figure 1 "Masked T": prune the structures whose
 * NTK kernel K_i = J_i J_iᵀ on the scoring samples has the largest condition number κ_i = λ_max /
 * λ_min (diagnostics library, n = the context's scoring samples, rows of J the objective's
 * per-sample scalar output).
 *
 * <p>Scores: {@code −ln κ_i} for a regular kernel, so the best-conditioned structure is kept first.
 * A singular kernel (κ = +∞: λ_min at or below {@code floor · λ_max}, including an all-zero kernel
 * of a dead or masked structure) scores below every regular one, at {@code lowest − 2 + r_i / n}
 * with {@code lowest} the smallest regular score (0 when there is none) and {@code r_i} the
 * kernel's numerical rank (eigenvalues above the floor): among singular kernels a rank-deficient
 * one is kept before a dead one (rank 0), and the scores stay finite. Structures with equal scores
 * (equal κ, or singular with equal rank) are left to {@link KeepTop}'s rule, the lower structure
 * index first, so the ranking is a pure function of the kernels.
 *
 * <p>The kernels come from one forward and backward pass per sample (per memory-bounded pass); the
 * weights, masks and gates are left as they were, the parameters' gradients zero.
 */
public final class KappaRank implements Importance {
  private final double floor;
  private final long memoryBudgetBytes;

  /** The diagnostics defaults: singular below 1e-12 λ_max, 512 MiB of Jacobian columns. */
  public KappaRank() {
    this(Spectrum.DEFAULT_FLOOR, JacobianKernels.DEFAULT_MEMORY_BUDGET);
  }

  public KappaRank(double floor, long memoryBudgetBytes) {
    if (!(floor >= 0 && floor < 1)) {
      throw new IllegalArgumentException("floor must be in [0, 1), got " + floor);
    }
    if (memoryBudgetBytes < 1) {
      throw new IllegalArgumentException("memoryBudgetBytes must be >= 1, got " + memoryBudgetBytes);
    }
    this.floor = floor;
    this.memoryBudgetBytes = memoryBudgetBytes;
  }

  @Override
  public double[] scores(ScoringContext context) {
    return scores(StructureSpectra.of(context.data(), floor, memoryBudgetBytes), floor);
  }

  /** The scores of known spectra (one per structure, model order), as described in the class comment. */
  public static double[] scores(Spectrum[] spectra, double floor) {
    double[] scores = new double[spectra.length];
    double lowest = Double.POSITIVE_INFINITY;
    for (int s = 0; s < spectra.length; s++) {
      if (!spectra[s].singular()) {
        scores[s] = -Math.log(spectra[s].conditionNumber());
        lowest = Math.min(lowest, scores[s]);
      }
    }
    if (lowest == Double.POSITIVE_INFINITY) {
      lowest = 0;
    }
    for (int s = 0; s < spectra.length; s++) {
      if (spectra[s].singular()) {
        int n = spectra[s].eigenvalues().length;
        scores[s] = lowest - 2 + (double) StructureSpectra.numericalRank(spectra[s], floor) / n;
      }
    }
    return scores;
  }
}
