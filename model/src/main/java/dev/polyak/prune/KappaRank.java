package dev.polyak.prune;

import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.Spectrum;

/**
 * The {@code kappa-rank} importance, the paper's Figure 1 "Masked T": prune the structures whose
 * NTK kernel on the scoring samples has the largest condition number κ_i. Scores are −ln κ_i; a
 * singular kernel (a dead or masked structure's included) scores below every regular one, a
 * rank-deficient one above a dead one, and every score is finite. The ranking is a pure function of
 * the kernels; weights, masks and gates are left as they were, the parameters' gradients zero.
 *
 * <p>Scores of singular kernels, and ties: docs/design/importance.md (kappa-rank).
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
      throw new IllegalArgumentException(
          "memoryBudgetBytes must be >= 1, got " + memoryBudgetBytes);
    }
    this.floor = floor;
    this.memoryBudgetBytes = memoryBudgetBytes;
  }

  @Override
  public double[] scores(ScoringContext context) {
    return scores(StructureSpectra.of(context.data(), floor, memoryBudgetBytes), floor);
  }

  /**
   * The scores of known spectra (one per structure, model order), as described in the class
   * comment.
   */
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
