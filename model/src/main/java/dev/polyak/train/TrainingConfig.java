package dev.polyak.train;

import ai.djl.ndarray.NDManager;
import dev.polyak.RunFileException;
import dev.polyak.nn.AdamW;
import dev.polyak.nn.Optimizer;
import dev.polyak.nn.Sgd;

/**
 * How a model is trained, whatever the model: everything besides the model and the data that
 * decides a run's trajectory.
 *
 * @param seed the run seed every random stream derives from
 * @param steps optimizer steps in all
 * @param batchSize samples (rows or images) per step
 * @param optimizer AdamW for transformers, SGD with momentum for CNNs (the paper's recipes)
 * @param learningRate AdamW's peak rate after warm-up, or SGD's initial rate
 * @param schedule how the rate moves over the run
 * @param warmupSteps linear warm-up length (warm-up schedule only)
 * @param weightDecay AdamW's decoupled decay, or SGD's L2 term
 * @param momentum SGD's momentum (ignored by AdamW, whose betas are BERT's 0.9 and 0.999)
 * @param maxGradientNorm clip the global gradient norm to this before each update; 0 turns it off
 * @param evalEvery steps between evaluations (and one at the end)
 * @param evalSamples held-out samples per evaluation (the first ones of the split)
 */
public record TrainingConfig(
    long seed,
    long steps,
    int batchSize,
    OptimizerKind optimizer,
    double learningRate,
    Schedule schedule,
    long warmupSteps,
    double weightDecay,
    double momentum,
    double maxGradientNorm,
    long evalEvery,
    int evalSamples) {

  /** The optimizers polyak trains with. */
  public enum OptimizerKind {
    ADAMW,
    SGD
  }

  /** Learning-rate schedules ({@link LearningRates}). */
  public enum Schedule {
    /** Linear warm-up, then linear decay to zero (transformers). */
    WARMUP_LINEAR,
    /** ×0.1 at half and ×0.01 at three quarters of training (the paper's CNNs). */
    STEP,
    /** The same rate throughout. */
    CONSTANT
  }

  public TrainingConfig {
    require(steps >= 1, "steps", "steps must be at least 1, got " + steps);
    require(batchSize >= 1, "batch_size", "batch size must be at least 1, got " + batchSize);
    require(
        learningRate > 0 && Double.isFinite(learningRate),
        "learning_rate",
        "learning rate must be positive, got " + learningRate);
    require(warmupSteps >= 0, "warmup_steps", "warm-up steps must be >= 0, got " + warmupSteps);
    require(weightDecay >= 0, "weight_decay", "weight decay must be >= 0, got " + weightDecay);
    require(
        momentum >= 0 && momentum < 1, "momentum", "momentum must be in [0, 1), got " + momentum);
    require(
        maxGradientNorm >= 0,
        "max_gradient_norm",
        "the gradient clipping norm must be >= 0 (0 = off), got " + maxGradientNorm);
    require(
        evalEvery >= 1,
        "eval_every",
        "evaluation interval must be at least 1 step, got " + evalEvery);
    require(
        evalSamples >= 1, "eval_samples", "evaluation needs at least 1 sample, got " + evalSamples);
  }

  /** Fails naming the run-file key of the field checked, so that a sweep can point at its line. */
  private static void require(boolean condition, String key, String message) {
    if (!condition) {
      throw new RunFileException(key, message);
    }
  }

  /**
   * BERT's recipe: AdamW, warm-up over the first tenth then linear decay, decay 0.01, clipping at
   * 1.
   */
  public static TrainingConfig transformer(
      long seed, long steps, int batchSize, double peakLearningRate) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        OptimizerKind.ADAMW,
        peakLearningRate,
        Schedule.WARMUP_LINEAR,
        Math.max(1, steps / 10),
        0.01,
        0,
        1.0,
        Math.max(1, steps / 4),
        256);
  }

  /**
   * The paper's CNN recipe: SGD, momentum 0.9, weight decay 5e-4, rate 0.1 with the step schedule,
   * no clipping.
   */
  public static TrainingConfig cnn(long seed, long steps, int batchSize) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        OptimizerKind.SGD,
        0.1,
        Schedule.STEP,
        0,
        5e-4,
        0.9,
        0,
        Math.max(1, steps / 4),
        1000);
  }

  public TrainingConfig withEvaluation(long every, int samples) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        optimizer,
        learningRate,
        schedule,
        warmupSteps,
        weightDecay,
        momentum,
        maxGradientNorm,
        every,
        samples);
  }

  public TrainingConfig withLearningRate(double rate, long warmup) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        optimizer,
        rate,
        schedule,
        warmup,
        weightDecay,
        momentum,
        maxGradientNorm,
        evalEvery,
        evalSamples);
  }

  /** The rate of step {@code step} (0-based). */
  public double learningRate(long step) {
    return switch (schedule) {
      case WARMUP_LINEAR -> LearningRates.warmupLinearDecay(learningRate, warmupSteps, steps, step);
      case STEP -> LearningRates.stepDecay(learningRate, steps, step);
      case CONSTANT -> learningRate;
    };
  }

  /** A fresh optimizer of this kind whose state lives under {@code manager}. */
  public Optimizer newOptimizer(NDManager manager) {
    return switch (optimizer) {
      case ADAMW -> new AdamW(manager, 0.9f, 0.999f, 1e-8f, (float) weightDecay);
      case SGD -> new Sgd(manager, (float) momentum, (float) weightDecay);
    };
  }
}
