package dev.polyak.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.polyak.data.read.Batches;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.LogitScalars;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Devices;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Optimizer;
import dev.polyak.random.RandomStreams;
import java.util.OptionalInt;

/**
 * The training loop every task shares: learning rate from the config's schedule, one recorded
 * forward and backward per step, optional gradient clipping, the optimizer's update, a stop at the
 * first non-finite loss, and a {@link MetricRecord} every {@code evalEvery} steps and at the end.
 * Subclasses say how a batch becomes a loss and how the held-out split is scored.
 *
 * <p>Everything random is a function of the run seed and the step (data order from {@link Batches},
 * per-sample draws at step-derived stream positions, dropout via {@link MaskedModel#trainingStep}),
 * so a trainer restored at any step continues exactly as an uninterrupted one.
 *
 * <p>{@link #excludeSample} trains on the split without one sample (S \ {x_i}), for the stability
 * diagnostics ({@code dev.polyak.train.Stability}).
 */
public abstract class Trainer implements AutoCloseable {
  /** What an evaluation measured: mean loss and the task's metric (perplexity or accuracy). */
  public record Evaluation(double loss, double metric) {}

  protected final TrainingConfig config;
  protected final RandomStreams streams;
  protected final NDManager manager;
  protected final Batches batches;
  private Optimizer optimizer;

  /**
   * The data order over the split without {@link #excludedSample}, or null when nothing is
   * excluded.
   */
  private Batches remaining;

  private int excludedSample = -1;
  private LogitScalars logitScalars;
  private long step;
  private java.util.function.LongUnaryOperator learningRateClock = s -> s;
  private long hostNanos;

  /**
   * @param device where arrays live; checked by {@link Devices#require} (a clear error for a
   *     missing GPU)
   */
  protected Trainer(TrainingConfig config, int trainSamples, Device device) {
    Autograd.ensureEngine();
    this.config = config;
    this.streams = new RandomStreams(config.seed());
    this.manager = NDManager.newBaseManager(Devices.require(device), "PyTorch");
    this.batches = new Batches(streams, trainSamples);
    if (config.batchSize() > trainSamples) {
      throw new IllegalArgumentException(
          "batch_size "
              + config.batchSize()
              + " is larger than the training split ("
              + trainSamples
              + " samples)");
    }
  }

  /** Call at the end of the subclass constructor, once the model exists. */
  protected final void createOptimizer() {
    this.optimizer = config.newOptimizer(manager);
  }

  public abstract MaskedModel model();

  /** The loss of the batch of step {@code step}; called with recording on, inside a scope. */
  protected abstract NDArray trainingLoss(long step, int[] samples);

  /** Scores the first {@code evalSamples} held-out samples with recording off. */
  protected abstract Evaluation evaluateHeldOut();

  /**
   * The diagnostics objective on training samples {@code samples} (see {@link
   * dev.polyak.diag.ProbeSet}): each sample prepared as evaluation sees it (token rows masked from
   * the "probe-masking" stream at a position set by the sample's index; images normalised, not
   * augmented), the model switched to evaluation mode. Its outputs are the scalars of {@code
   * kernel} ({@link LogitScalars} for the function-space kernels).
   */
  public abstract ProbeObjective probes(int[] samples, KernelKind kernel);

  /** {@link #probes(int[], KernelKind)} with a single scalar per sample. */
  public final ProbeObjective probes(int[] samples, ScalarOutput output) {
    return probes(samples, KernelKind.of(output));
  }

  /**
   * The scalars of {@code kernel} over logits of width {@code width}, projections drawn from the
   * run seed's {@link KernelKind#PROJECTION_STREAM}; kept for the next call with the same kernel.
   */
  protected final LogitScalars logitScalars(KernelKind kernel, int width) {
    if (logitScalars == null
        || !logitScalars.kernel().equals(kernel)
        || logitScalars.width() != width) {
      if (logitScalars != null) {
        logitScalars.close();
      }
      logitScalars =
          new LogitScalars(kernel, width, streams.stream(KernelKind.PROJECTION_STREAM), manager);
    }
    return logitScalars;
  }

  /**
   * Whole batches per epoch of the training split (the pruning schedules count epochs in these).
   */
  public final long stepsPerEpoch() {
    return batches.batchesPerEpoch(config.batchSize());
  }

  /** The size of the training split. */
  public final int trainSize() {
    return batches.sampleCount();
  }

  public final TrainingConfig config() {
    return config;
  }

  public final Optimizer optimizer() {
    return optimizer;
  }

  public final long step() {
    return step;
  }

  /**
   * Wall time spent so far preparing batches in Java (masking, augmentation, copying into arrays),
   * outside the engine: the per-step overhead that {@code polyak bench train} reports.
   */
  public final long hostNanos() {
    return hostNanos;
  }

  /** Subclasses add the time they spent preparing a batch in Java. */
  protected final void addHostNanos(long nanos) {
    hostNanos += nanos;
  }

  /**
   * From now on trains on the split without sample {@code index}: each step's batch is drawn from
   * the other {@code n - 1} samples, their {@link Batches} order over {@code n - 1} items mapped
   * back by {@code j -> j < index ? j : j + 1}. Each epoch's order is then a permutation of {@code
   * n - 1} items drawn from the same "data-order" stream, so it differs from the full split's order
   * throughout, not only where sample {@code index} was: inherent, as removing a sample changes
   * which samples share a batch from its place on anyway. Draws tied to a step and a batch position
   * (masking, augmentation, dropout) stay as they were. Evaluation and probes are unaffected. Call
   * it once, before training.
   *
   * @throws IllegalArgumentException if {@code index} is not a training sample, if a sample is
   *     already excluded, or if the {@code n - 1} samples are fewer than a batch
   */
  public final void excludeSample(int index) {
    int n = batches.sampleCount();
    if (index < 0 || index >= n) {
      throw new IllegalArgumentException(
          "sample " + index + " is not in the training split (0.." + (n - 1) + ")");
    }
    if (remaining != null) {
      throw new IllegalArgumentException(
          "sample " + excludedSample + " is already excluded; exclude one sample only");
    }
    if (config.batchSize() > n - 1) {
      throw new IllegalArgumentException(
          "batch_size "
              + config.batchSize()
              + " is larger than the training split"
              + " without one sample ("
              + (n - 1)
              + " samples)");
    }
    this.remaining = new Batches(streams, n - 1);
    this.excludedSample = index;
  }

  /** The excluded training sample, if {@link #excludeSample} was called. */
  public final OptionalInt excludedSample() {
    return remaining == null ? OptionalInt.empty() : OptionalInt.of(excludedSample);
  }

  /**
   * The training-sample indices of the batch of step {@code step} (0-based), as {@link #train} uses
   * them.
   */
  public final int[] batch(long step) {
    if (remaining == null) {
      return batches.batch(step, config.batchSize());
    }
    int[] samples = remaining.batch(step, config.batchSize());
    for (int b = 0; b < samples.length; b++) {
      samples[b] += samples[b] < excludedSample ? 0 : 1;
    }
    return samples;
  }

  /**
   * Sets the step at which the learning-rate schedule is read for each optimizer step (default: the
   * step itself). lth with {@code rewind_schedule: true} sets it so that the schedule goes back to
   * the rewind point at each event ({@link Pruner#learningRateClock}); a pure function of the step,
   * so a resumed run reads the same rates.
   */
  public final void setLearningRateClock(java.util.function.LongUnaryOperator clock) {
    this.learningRateClock = java.util.Objects.requireNonNull(clock);
  }

  /** Continues from {@code step} (after weights and optimizer state were restored). */
  public final void seekStep(long step) {
    this.step = step;
  }

  /** The held-out evaluation, in evaluation mode. */
  public final Evaluation evaluate() {
    model().evaluation();
    try (Autograd.Mode off = Autograd.recording(false)) {
      return evaluateHeldOut();
    }
  }

  /**
   * Trains until {@code config.steps()} or {@code untilStep}, whichever comes first, and reports
   * every {@code evalEvery} steps and at the last step.
   *
   * @throws DivergedException at the first step whose loss is not finite (nothing is updated)
   */
  public final void train(long untilStep, TrainingListener listener) {
    long end = Math.min(untilStep, config.steps());
    double lossSum = 0;
    long lossCount = 0;
    long started = System.nanoTime();
    while (step < end) {
      double lr = config.learningRate(learningRateClock.applyAsLong(step));
      double loss = trainStep((float) lr);
      lossSum += loss;
      lossCount++;
      step++;
      listener.onStep(step, loss);
      if (step % config.evalEvery() == 0 || step == config.steps()) {
        double millis = (System.nanoTime() - started) / 1e6 / lossCount;
        Evaluation eval = evaluate();
        listener.onMetrics(
            new MetricRecord(
                step,
                lossSum / lossCount,
                eval.loss(),
                eval.metric(),
                lr,
                millis,
                model().keptParameters()));
        lossSum = 0;
        lossCount = 0;
        started = System.nanoTime();
      }
    }
  }

  private double trainStep(float lr) {
    int[] samples = batch(step);
    model().trainingStep(step);
    double loss;
    try (NDScope scope = new NDScope();
        Autograd.Mode on = Autograd.recording(true)) {
      NDArray value = trainingLoss(step, samples);
      loss = value.getFloat();
      if (!Double.isFinite(loss)) {
        throw new DivergedException(step, loss);
      }
      Autograd.backward(value);
    }
    if (config.maxGradientNorm() > 0) {
      Autograd.clipGradientNorm(model().parameters().arrays(), config.maxGradientNorm());
    }
    optimizer.step(model().parameters(), lr);
    return loss;
  }

  @Override
  public void close() {
    if (optimizer != null) {
      optimizer.close();
    }
    model().close();
    if (logitScalars != null) {
      logitScalars.close();
    }
    manager.close();
  }
}
