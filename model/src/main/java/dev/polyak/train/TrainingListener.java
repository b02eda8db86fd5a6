package dev.polyak.train;

/** Receives a run's metric records as they are produced (the sweep turns them into Beam output). */
@FunctionalInterface
public interface TrainingListener {
  void onMetrics(MetricRecord record);

  /** After every optimizer step: the steps done and that step's training loss (for progress displays). */
  default void onStep(long step, double loss) {}
}
