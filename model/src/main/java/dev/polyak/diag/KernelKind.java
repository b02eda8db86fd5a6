package dev.polyak.diag;

import java.io.Serializable;
import java.util.Locale;

/**
 * Which kernel the diagnostics and the kernel-based pruning methods compute: K = Σ_j J_j J_jᵀ / m
 * with J_j the n × P Jacobian of the probes' j-th scalar, m = {@link #outputsPerProbe()}.
 *
 * <ul>
 *   <li>{@code pntk} (the default): the pseudo-NTK of Mohamadi et al. (ICML 2023), one scalar per
 *       sample, Σ_c f_c / √C over the C output logits; for a token row the mean over its masked
 *       positions of Σ_c logit_c / √V. For f(x) = Wx + b it is xᵀx' + 1.
 *   <li>{@code target-logit}: the logit of the true class (mean true-token logit over the masked
 *       positions).
 *   <li>{@code projected:k}: k Gaussian output vectors v_j ~ N(0, I_C), the same for every sample,
 *       scalar v_jᵀf; the average of the k Gram matrices is an unbiased estimate of the trace-NTK
 *       Σ_c J_c J_cᵀ with an error falling as 1/√k. Costs k backward passes per sample.
 *   <li>{@code loss}: the per-sample loss (the kernel polyak computed before there was a choice).
 * </ul>
 *
 * @param output the per-sample scalar
 * @param projections k for {@link ScalarOutput#PROJECTED}, else 0
 */
public record KernelKind(ScalarOutput output, int projections) implements Serializable {
  /** The default everywhere a kernel is computed. */
  public static final KernelKind PNTK = new KernelKind(ScalarOutput.PNTK, 0);

  public static final KernelKind LOSS = new KernelKind(ScalarOutput.LOSS, 0);
  public static final KernelKind TARGET_LOGIT = new KernelKind(ScalarOutput.TARGET_LOGIT, 0);

  /** The run-seed stream the projection vectors are drawn from, k vectors of C normals in order. */
  public static final String PROJECTION_STREAM = "kernel-projections";

  /** What a kernel option accepts, for error messages. */
  public static final String ALLOWED = "pntk, target-logit, projected:k (k >= 1) or loss";

  public KernelKind {
    if (output == null) {
      throw new IllegalArgumentException("kernel output must be set");
    }
    if ((output == ScalarOutput.PROJECTED) != (projections > 0) || projections < 0) {
      throw new IllegalArgumentException(
          "kernel "
              + output.id()
              + " with "
              + projections
              + " projections: "
              + "projected takes k >= 1 projections, the others none");
    }
  }

  /**
   * The kernel of a single scalar per sample (not {@link ScalarOutput#PROJECTED}, which needs k).
   */
  public static KernelKind of(ScalarOutput output) {
    return new KernelKind(output, 0);
  }

  /** {@code projected:k}. */
  public static KernelKind projected(int k) {
    return new KernelKind(ScalarOutput.PROJECTED, k);
  }

  /** Parses {@code pntk}, {@code target-logit}, {@code projected:k} or {@code loss}. */
  public static KernelKind parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("projected:")) {
      int k;
      try {
        k = Integer.parseInt(t.substring("projected:".length()).trim());
      } catch (NumberFormatException e) {
        k = 0;
      }
      if (k < 1) {
        throw new IllegalArgumentException("kernel must be " + ALLOWED + ", got '" + text + "'");
      }
      return projected(k);
    }
    try {
      return of(ScalarOutput.parse(t));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kernel must be " + ALLOWED + ", got '" + text + "'", e);
    }
  }

  /** How many scalars each probe sample gives: k for {@code projected:k}, else 1. */
  public int outputsPerProbe() {
    return output == ScalarOutput.PROJECTED ? projections : 1;
  }

  /** The spelling {@link #parse} reads: {@code pntk}, {@code projected:16}. */
  @Override
  public String toString() {
    return output == ScalarOutput.PROJECTED ? "projected:" + projections : output.id();
  }
}
