package dev.polyak.train;

/** Receives a run's metric records as they are produced (the sweep turns them into Beam output). */
@FunctionalInterface
public interface TrainingListener {
  void onMetrics(MetricRecord record);

  /**
   * After every optimizer step: the steps done and that step's training loss (for progress
   * displays).
   */
  default void onStep(long step, double loss) {}

  /** After each pruning event, once its checkpoints and record are written. */
  default void onPrune(dev.polyak.schemas.PruneEvent event) {}

  /** A listener for the per-step losses only (timing, progress, tests). */
  static TrainingListener onEachStep(StepListener steps) {
    return new TrainingListener() {
      @Override
      public void onMetrics(MetricRecord record) {}

      @Override
      public void onStep(long step, double loss) {
        steps.onStep(step, loss);
      }
    };
  }

  /** What {@link #onEachStep} calls. */
  @FunctionalInterface
  interface StepListener {
    void onStep(long step, double loss);
  }
}
