package dev.polyak.diag;

import java.util.Locale;

/**
 * The paper's bounds from estimates of the smoothness constant β (largest Hessian eigenvalue), the
 * value-Lipschitz constant L_f (largest per-sample gradient norm) and the PL constant µ: Theorem
 * 6(a)'s per-step convergence factor 1 − µ/β, Theorem 6(b)'s sample complexity n(ε, δ) ≤ 6 L_f² M /
 * (µ ε² δ) + M² / (2 ε² δ) for a loss bounded by M, accuracy ε and confidence 1 − δ, and Theorem
 * 12's pointwise hypothesis stability γ ≤ L_f² / (µ n) for n training samples.
 */
public final class Bounds {
  /** Why Theorem 6(a)'s factor is not reported: it needs 0 < µ ≤ β. */
  public enum Flag {
    /** β was not computed (no iteration for β asked for). */
    NO_BETA,
    /** β ≤ 0: the dominant curvature is not positive. */
    BETA_NOT_POSITIVE,
    /** µ ≤ 0 or undefined (a zero loss or gradient). */
    MU_NOT_POSITIVE,
    /**
     * µ > β. A β-smooth loss L ≥ 0 has ‖∇L‖² ≤ 2βL, i.e. µ ≤ β, so the Hessian at w understates the
     * smoothness between w and a minimum (ReLU kinks, early training), and the factor would claim a
     * faster rate than any step size gives.
     */
    MU_ABOVE_BETA;

    /** The lower-case, hyphenated spelling the records carry, e.g. {@code mu-above-beta}. */
    public String spelling() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * Theorem 6(a)'s factor.
   *
   * @param value 1 − µ/β in [0, 1), NaN when flagged
   * @param flag why there is no value; null when there is one
   */
  public record ConvergenceFactor(double value, Flag flag) implements java.io.Serializable {}

  private Bounds() {}

  /** 1 − µ/β when 0 < µ ≤ β, else NaN with the reason. */
  public static ConvergenceFactor convergenceFactor(double beta, double mu) {
    Flag flag =
        Double.isNaN(beta)
            ? Flag.NO_BETA
            : !(beta > 0)
                ? Flag.BETA_NOT_POSITIVE
                : !(mu > 0) ? Flag.MU_NOT_POSITIVE : mu > beta ? Flag.MU_ABOVE_BETA : null;
    return new ConvergenceFactor(flag == null ? 1 - mu / beta : Double.NaN, flag);
  }

  public static double sampleComplexity(
      double lipschitz, double mu, double lossBound, double epsilon, double delta) {
    if (!(epsilon > 0) || !(delta > 0 && delta < 1) || !(lossBound > 0)) {
      throw new IllegalArgumentException(
          "need epsilon > 0, 0 < delta < 1 and M > 0; got epsilon="
              + epsilon
              + ", delta="
              + delta
              + ", M="
              + lossBound);
    }
    double e2d = epsilon * epsilon * delta;
    return 6 * lipschitz * lipschitz * lossBound / (mu * e2d) + lossBound * lossBound / (2 * e2d);
  }

  /** Theorem 12's γ ≤ L_f² / (µ n); +∞ when µ ≤ 0, NaN when µ is. */
  public static double stability(double lipschitz, double mu, long samples) {
    if (samples < 1) {
      throw new IllegalArgumentException(
          "the stability bound needs n >= 1 training samples, got " + samples);
    }
    return mu > 0
        ? lipschitz * lipschitz / (mu * samples)
        : Double.isNaN(mu) ? Double.NaN : Double.POSITIVE_INFINITY;
  }
}
