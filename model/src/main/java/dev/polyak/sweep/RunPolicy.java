package dev.polyak.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * Which cells of a sweep train in this invocation; the others only report what their folders hold.
 *
 * <ul>
 *   <li>Default: train every run that has no recorded outcome (new cells, and unfinished runs,
 *       which resume from their newest valid checkpoint) and every run whose last attempt FAILED;
 *       runs that FINISHED or DIVERGED keep their result.
 *   <li>{@code rerunFailed}: train only the runs recorded FAILED or DIVERGED (a diverged run
 *       resumes from its newest valid checkpoint before the divergence, which is worth it after a
 *       fix).
 *   <li>{@code rerunStopped}: train only the runs recorded STOPPED by early stopping, from their
 *       checkpoint at the rung to the end (with {@code rerunFailed}: those and the failed and
 *       diverged ones). Runs STOPPED keep their result by default.
 *   <li>{@code only}: train only the runs whose id starts with one of these prefixes.
 * </ul>
 *
 * @param rerunFailed only runs recorded FAILED or DIVERGED
 * @param only run id prefixes; empty = every run
 * @param rerunStopped only runs recorded STOPPED
 */
public record RunPolicy(boolean rerunFailed, List<String> only, boolean rerunStopped)
    implements Serializable {
  public RunPolicy {
    only = List.copyOf(only);
  }

  public RunPolicy(boolean rerunFailed, List<String> only) {
    this(rerunFailed, only, false);
  }

  public static RunPolicy standard() {
    return new RunPolicy(false, List.of());
  }

  /** Whether a run with this id and recorded outcome trains now. */
  public boolean trains(String runId, RunFolder.Recorded recorded) {
    if (!only.isEmpty() && only.stream().noneMatch(runId::startsWith)) {
      return false;
    }
    if (rerunFailed || rerunStopped) {
      return rerunFailed
              && (recorded == RunFolder.Recorded.FAILED || recorded == RunFolder.Recorded.DIVERGED)
          || rerunStopped && recorded == RunFolder.Recorded.STOPPED;
    }
    return recorded == RunFolder.Recorded.NONE || recorded == RunFolder.Recorded.FAILED;
  }
}
