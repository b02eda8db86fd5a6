package dev.polyak.testing;

import ai.djl.Device;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import dev.polyak.train.ClassificationTrainer;
import dev.polyak.train.TrainingConfig;

/**
 * Small random CIFAR-shaped images in memory, and a small MLP trainer on them, for trainer-level
 * tests.
 */
public final class ToyImages {
  private static final float[] MEAN = {120f, 125f, 130f};
  private static final float[] STD = {60f, 62f, 64f};

  private ToyImages() {}

  /**
   * {@code n} images of random bytes from {@code seed}, label {@code i % 10}, fixed normalisation.
   */
  public static ImageDataset random(long seed, int n) {
    RandomStream stream = new RandomStreams(seed).stream("toy-images");
    byte[][] images = new byte[n][3 * 32 * 32];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < images[i].length; p++) {
        images[i][p] = (byte) stream.nextInt(256);
      }
      labels[i] = i % 10;
    }
    return new ImageDataset("train", images, labels, null, 10, MEAN, STD);
  }

  /** {@code data} without image {@code index}, with the same normalisation. */
  public static ImageDataset without(ImageDataset data, int index) {
    byte[][] images = new byte[data.size() - 1][];
    int[] labels = new int[data.size() - 1];
    for (int i = 0, j = 0; i < data.size(); i++) {
      if (i != index) {
        images[j] = data.images()[i];
        labels[j++] = data.labels()[i];
      }
    }
    return new ImageDataset(
        data.split(), images, labels, null, data.classCount(), data.mean(), data.std());
  }

  /** SGD with momentum at a constant rate, evaluated only at the end on 8 images. */
  public static TrainingConfig sgd(long seed, long steps, int batchSize, double learningRate) {
    return new TrainingConfig(
        seed,
        steps,
        batchSize,
        TrainingConfig.OptimizerKind.SGD,
        learningRate,
        TrainingConfig.Schedule.CONSTANT,
        0,
        0,
        0.9,
        0,
        steps,
        8);
  }

  /** A one-hidden-layer MLP (16 units) trained on {@code train}, evaluated on it too. */
  public static ClassificationTrainer mlpTrainer(TrainingConfig config, ImageDataset train) {
    Mlp.Config model = new Mlp.Config(3 * 32 * 32, new int[] {16}, 10);
    return new ClassificationTrainer(
        config,
        train,
        train,
        (manager, streams) -> new Mlp(model, manager, streams.stream(RandomStreams.INIT)),
        Device.cpu());
  }
}
