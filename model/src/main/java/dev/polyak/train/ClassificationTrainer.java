package dev.polyak.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.read.CifarAugment;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.LogitScalars;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Scalars;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;

/**
 * Trains an image classifier on CIFAR shards: cross-entropy loss, accuracy as the metric, the
 * standard augmentation ({@link CifarAugment}) and the manifest's per-channel normalisation. Image
 * {@code b} of step {@code s} draws its crop and flip from the "augmentation" stream at position
 * {@code (s * batch + b) * 64} (an augmentation takes three draws plus rare rejections), so a
 * resumed run augments exactly as an uninterrupted one. Inputs are NCHW {@code [batch, 3, 32, 32]}.
 */
public final class ClassificationTrainer extends Trainer {
  private static final long DRAWS_PER_IMAGE = 64;
  private final ImageDataset train;
  private final ImageDataset eval;
  private final MaskedModel model;
  private final RandomStream augmentation;

  /**
   * Builds a model under the trainer's manager from the run's random streams ("init", "dropout").
   */
  @FunctionalInterface
  public interface ModelFactory {
    MaskedModel create(NDManager manager, RandomStreams streams);
  }

  public ClassificationTrainer(
      TrainingConfig config,
      ImageDataset train,
      ImageDataset eval,
      ModelFactory modelFactory,
      Device device) {
    super(config, train.size(), device);
    this.train = train;
    this.eval = eval;
    this.model = modelFactory.create(manager, streams);
    this.augmentation = streams.stream(RandomStreams.AUGMENTATION);
    createOptimizer();
  }

  @Override
  public MaskedModel model() {
    return model;
  }

  @Override
  protected NDArray trainingLoss(long step, int[] samples) {
    long started = System.nanoTime();
    float[] pixels = new float[samples.length * CifarVariant.IMAGE_BYTES];
    long[] targets = new long[samples.length];
    for (int b = 0; b < samples.length; b++) {
      augmentation.seek((step * config.batchSize() + b) * DRAWS_PER_IMAGE);
      float[] image =
          CifarAugment.apply(
              train.images()[samples[b]], augmentation, train.mean(), train.std(), true);
      System.arraycopy(image, 0, pixels, b * CifarVariant.IMAGE_BYTES, image.length);
      targets[b] = train.labels()[samples[b]];
    }
    NDArray input = images(pixels, samples.length);
    addHostNanos(System.nanoTime() - started);
    return Losses.crossEntropy(model.forward(input), targets);
  }

  /**
   * Mean loss and accuracy on the first {@code evalSamples} held-out images (normalised, not
   * augmented).
   */
  @Override
  protected Evaluation evaluateHeldOut() {
    int count = Math.min(config.evalSamples(), eval.size());
    double lossSum = 0;
    long correct = 0;
    for (int start = 0; start < count; start += config.batchSize()) {
      int n = Math.min(config.batchSize(), count - start);
      float[] pixels = new float[n * CifarVariant.IMAGE_BYTES];
      long[] targets = new long[n];
      for (int b = 0; b < n; b++) {
        float[] image =
            CifarAugment.apply(eval.images()[start + b], null, train.mean(), train.std(), false);
        System.arraycopy(image, 0, pixels, b * CifarVariant.IMAGE_BYTES, image.length);
        targets[b] = eval.labels()[start + b];
      }
      try (NDScope scope = new NDScope()) {
        NDArray logits = model.forward(images(pixels, n));
        lossSum += Losses.crossEntropy(logits, targets).getFloat() * n;
        correct += Losses.correct(logits, targets);
      }
    }
    return new Evaluation(lossSum / count, (double) correct / count);
  }

  @Override
  public ProbeObjective probes(int[] samples, KernelKind kernel) {
    model.evaluation();
    LogitScalars scalars =
        kernel.output() == ScalarOutput.LOSS ? null : logitScalars(kernel, train.classCount());
    return ProbeObjective.of(
        model,
        samples.length,
        kernel.outputsPerProbe(),
        (probe, j) -> {
          long[] target = {train.labels()[samples[probe]]};
          NDArray logits = model.forward(normalisedTrainImages(samples, probe, probe + 1));
          return scalars == null
              ? Losses.crossEntropy(logits, target)
              : scalars.scalar(logits, target, j);
        },
        (from, to, j) -> {
          long[] targets = new long[to - from];
          for (int b = from; b < to; b++) {
            targets[b - from] = train.labels()[samples[b]];
          }
          NDArray logits = model.forward(normalisedTrainImages(samples, from, to));
          // both are means over the batch's images: times the batch, the sum of the probes'
          NDArray mean =
              scalars == null
                  ? Losses.crossEntropy(logits, targets)
                  : scalars.scalar(logits, targets, j);
          return Scalars.mul(mean, to - from);
        },
        (from, to) -> {
          long[] targets = new long[to - from];
          for (int b = from; b < to; b++) {
            targets[b - from] = train.labels()[samples[b]];
          }
          return Losses.crossEntropy(
              model.forward(normalisedTrainImages(samples, from, to)), targets);
        });
  }

  private NDArray normalisedTrainImages(int[] samples, int from, int to) {
    float[] pixels = new float[(to - from) * CifarVariant.IMAGE_BYTES];
    for (int b = from; b < to; b++) {
      float[] image =
          CifarAugment.apply(train.images()[samples[b]], null, train.mean(), train.std(), false);
      System.arraycopy(image, 0, pixels, (b - from) * CifarVariant.IMAGE_BYTES, image.length);
    }
    return images(pixels, to - from);
  }

  private NDArray images(float[] pixels, int batch) {
    return manager.create(
        pixels, new Shape(batch, CifarVariant.CHANNELS, CifarVariant.WIDTH, CifarVariant.WIDTH));
  }
}
