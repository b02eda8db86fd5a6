package dev.polyak.checkpoint;

/**
 * Which checkpoints a {@link CheckpointStore} keeps after each save.
 *
 * @param lastRegular how many of the newest regular checkpoints to keep, at least 1 (a resume needs
 *     one)
 * @param keepPruning whether every pruning checkpoint is kept as well (they record the model just
 *     before and after a pruning event, which diagnostics read later); when false they count as
 *     regular checkpoints
 * @param keepEvery regular checkpoints whose step is a multiple of this are kept as well, whatever
 *     their age (a sweep's periodic diagnostics read them after the run); 0 = none
 */
public record RetentionPolicy(int lastRegular, boolean keepPruning, long keepEvery) {

  public RetentionPolicy {
    if (lastRegular < 1) {
      throw new IllegalArgumentException(
          "retention must keep at least 1 checkpoint, not " + lastRegular);
    }
    if (keepEvery < 0) {
      throw new IllegalArgumentException(
          "retention's keep-every interval must be 0 (none) or positive, not " + keepEvery);
    }
  }

  /** Keeps the newest {@code n} regular checkpoints and every pruning checkpoint. */
  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, true, 0);
  }

  /** Deletes nothing. */
  public static RetentionPolicy keepAll() {
    return new RetentionPolicy(Integer.MAX_VALUE, true, 0);
  }

  /** The same policy with pruning checkpoints kept, or counted with the regular ones. */
  public RetentionPolicy withPruningCheckpoints(boolean keep) {
    return new RetentionPolicy(lastRegular, keep, keepEvery);
  }

  /**
   * The same policy also keeping the regular checkpoints at multiples of {@code steps} (0 = none).
   */
  public RetentionPolicy keepingEvery(long steps) {
    return new RetentionPolicy(lastRegular, keepPruning, steps);
  }

  /** Whether a checkpoint is protected from deletion whatever its age. */
  boolean protects(boolean pruningCheckpoint, long step) {
    if (pruningCheckpoint) {
      return keepPruning;
    }
    return keepEvery > 0 && step % keepEvery == 0;
  }
}
