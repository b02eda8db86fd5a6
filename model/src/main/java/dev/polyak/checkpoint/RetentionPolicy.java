package dev.polyak.checkpoint;

/**
 * Which checkpoints a {@link CheckpointStore} keeps after each save.
 *
 * @param lastRegular how many of the newest regular checkpoints to keep, at least 1 (a resume needs
 *     one)
 * @param keepPruning whether every pruning checkpoint is kept as well (they record the model just
 *     before and after a pruning event, which diagnostics read later); when false they count as
 *     regular checkpoints
 */
public record RetentionPolicy(int lastRegular, boolean keepPruning) {

  public RetentionPolicy {
    if (lastRegular < 1) {
      throw new IllegalArgumentException("retention must keep at least 1 checkpoint, not " + lastRegular);
    }
  }

  /** Keeps the newest {@code n} regular checkpoints and every pruning checkpoint. */
  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, true);
  }

  /** Deletes nothing. */
  public static RetentionPolicy keepAll() {
    return new RetentionPolicy(Integer.MAX_VALUE, true);
  }

  /** The same policy with pruning checkpoints kept, or counted with the regular ones. */
  public RetentionPolicy withPruningCheckpoints(boolean keep) {
    return new RetentionPolicy(lastRegular, keep);
  }

  /** Whether a checkpoint is protected from deletion whatever its age. */
  boolean protects(boolean pruningCheckpoint) {
    return keepPruning && pruningCheckpoint;
  }
}
