package dev.polyak.train;

/** Training configs for tests, in the argument order the MLM tests were written with. */
final class TestRuns {
  private TestRuns() {}

  /** AdamW with warm-up and linear decay, gradients clipped at 1 (BERT's recipe). */
  static TrainingConfig adamw(
      long seed,
      long steps,
      int batchSize,
      double peakLearningRate,
      long warmupSteps,
      double weightDecay,
      long evalEvery,
      int evalSamples) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        TrainingConfig.OptimizerKind.ADAMW,
        peakLearningRate,
        TrainingConfig.Schedule.WARMUP_LINEAR,
        warmupSteps,
        weightDecay,
        0,
        1.0,
        evalEvery,
        evalSamples);
  }
}
