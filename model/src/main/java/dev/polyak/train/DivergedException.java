package dev.polyak.train;

/**
 * The training loss became NaN or infinite. The run stops at once: its last good step is the one
 * before {@link #step()}, and the sweep records it as diverged instead of training on NaNs.
 */
public final class DivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long step;

  public DivergedException(long step, double loss) {
    super("training diverged at step " + step + ": loss " + loss);
    this.step = step;
  }

  /** The step whose loss was not finite. */
  public long step() {
    return step;
  }
}
