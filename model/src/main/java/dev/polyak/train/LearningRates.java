package dev.polyak.train;

/** Learning-rate schedules as pure functions of the step. */
public final class LearningRates {
  private LearningRates() {}

  /**
   * Linear warm-up to {@code peak} over {@code warmup} steps, then linear decay to 0 at {@code
   * total}.
   */
  public static double warmupLinearDecay(double peak, long warmup, long total, long step) {
    if (step < warmup) {
      return peak * (step + 1) / warmup;
    }
    return peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
  }

  /**
   * The paper's CNN schedule: {@code base}, times 0.1 from half of training, times 0.01 from three
   * quarters.
   */
  public static double stepDecay(double base, long total, long step) {
    if (step >= total * 3 / 4) {
      return base * 0.01;
    }
    if (step >= total / 2) {
      return base * 0.1;
    }
    return base;
  }
}
