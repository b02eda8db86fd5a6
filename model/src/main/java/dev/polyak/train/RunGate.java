package dev.polyak.train;

import java.util.List;

/**
 * Decides whether a run goes on, at each step where it could stop: a step whose checkpoint is saved
 * (the state a stopped run keeps, and resumes from). A sweep's early stopping is one; the gate may
 * read the trainer's state (for a diagnostic) but must leave it as it was.
 */
@FunctionalInterface
public interface RunGate {
  /** Never stops a run. */
  RunGate NONE = (step, trainer, metrics) -> false;

  /**
   * Whether the run stops at {@code step}, its checkpoint there saved.
   *
   * @param trainer the run's trainer at {@code step}
   * @param metrics the run's metric records so far, resumed part included
   */
  boolean stopsAt(long step, Trainer trainer, List<MetricRecord> metrics);
}
