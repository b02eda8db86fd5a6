package dev.polyak.diag;

/**
 * The paper's Theorem 6 quantities from estimates of the Lipschitz constant L_f and the PL constant
 * µ: the per-step convergence factor 1 − µ/L_f and the sample-complexity bound
 * n(ε, δ) ≤ 6 L_f² M / (µ ε² δ) + M² / (2 ε² δ), for a loss bounded by M, accuracy ε and confidence
 * 1 − δ.
 */
public final class Bounds {
  private Bounds() {}

  public static double convergenceFactor(double lipschitz, double mu) {
    return 1 - mu / lipschitz;
  }

  public static double sampleComplexity(double lipschitz, double mu, double lossBound, double epsilon, double delta) {
    if (!(epsilon > 0) || !(delta > 0 && delta < 1) || !(lossBound > 0)) {
      throw new IllegalArgumentException("need epsilon > 0, 0 < delta < 1 and M > 0; got epsilon=" + epsilon + ", delta="
          + delta + ", M=" + lossBound);
    }
    double e2d = epsilon * epsilon * delta;
    return 6 * lipschitz * lipschitz * lossBound / (mu * e2d) + lossBound * lossBound / (2 * e2d);
  }
}
