package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import dev.polyak.random.RandomStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * VGG-16 with batch norm for 32×32 CIFAR images, the paper's filter-pruning testbed, as {@code
 * anchors/cnn.py}: thirteen 3×3 convolutions with batch norm and ReLU, five max-pools and a
 * three-layer classifier; inputs are NCHW float32 {@code [batch, 3, 32, 32]}. Its prunable
 * structures are the convolution filters, one mask group per convolution; a masked filter outputs
 * exactly zero and its parameters get exactly zero gradient. A pruned filter can be sliced out
 * ({@link Compaction}): its output channel, batch-norm entries and running statistics, and the next
 * convolution's input channel, or, for the last convolution, the classifier's input feature (the
 * 32×32 input is 1×1 after the five pools, so feature c of the flattened map is channel c).
 *
 * <p>Layers, filter slices and initialisation: docs/design/models.md (Vgg16).
 */
public final class Vgg16 extends AbstractConvNet {
  /** The thirteen convolutions' widths of VGG-16 ("D" in Simonyan and Zisserman). */
  private static final int[] CIFAR_CHANNELS = {
    64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512
  };

  /** Convolutions (0-based) followed by a 2×2 max-pool. */
  private static final boolean[] POOL_AFTER = {
    false, true, false, true, false, false, true, false, false, true, false, false, true
  };

  private static final int CONVOLUTIONS = CIFAR_CHANNELS.length;
  private static final int IMAGE_SIZE = 32;

  /**
   * @param classes output classes: 10 for CIFAR-10, 100 for CIFAR-100
   * @param channels the thirteen convolutions' widths (64 ... 512 for VGG-16)
   * @param hidden the classifier's hidden width (512, as the reference's last convolution)
   * @param dropout the classifier's dropout probability (0.5, {@code nn.Dropout}'s default)
   */
  public record Config(int classes, int[] channels, int hidden, float dropout) {
    public Config {
      if (channels.length != CONVOLUTIONS) {
        throw new IllegalArgumentException(
            "VGG-16 has " + CONVOLUTIONS + " convolutions, got " + channels.length + " widths");
      }
      channels = channels.clone();
    }

    /** The paper's VGG-16 for {@code classes} classes. */
    public static Config cifar(int classes) {
      return new Config(classes, CIFAR_CHANNELS, 512, 0.5f);
    }

    /**
     * Every width (convolutions and classifier) divided by {@code widthDivisor}: the same graph,
     * for fast tests.
     */
    public static Config reduced(int classes, int widthDivisor) {
      int[] channels =
          Arrays.stream(CIFAR_CHANNELS).map(c -> Math.max(1, c / widthDivisor)).toArray();
      return new Config(classes, channels, Math.max(1, 512 / widthDivisor), 0.5f);
    }

    @Override
    public int[] channels() {
      return channels.clone();
    }
  }

  private final Config config;
  private final int[] channels;
  private final Dropout[] dropouts;

  /**
   * @param init the initial-weights stream ({@code RandomStreams.INIT})
   * @param dropout the dropout stream ({@code RandomStreams.DROPOUT})
   */
  public Vgg16(Config config, NDManager manager, RandomStream init, RandomStream dropout) {
    super(manager, config.channels());
    this.config = config;
    this.channels = config.channels();
    for (int l = 0; l < CONVOLUTIONS; l++) {
      addConvolution(convolution(l), inputs(l), channels[l], true, init);
      addBatchNorm(batchNorm(l), channels[l]);
    }
    addLinear("classifier.1", channels[CONVOLUTIONS - 1], config.hidden(), init);
    addLinear("classifier.4", config.hidden(), config.hidden(), init);
    addLinear("classifier.6", config.hidden(), config.classes(), init);
    for (int l = 0; l < CONVOLUTIONS; l++) {
      String next = l + 1 < CONVOLUTIONS ? convolution(l + 1) : "classifier.1";
      for (int j = 0; j < channels[l]; j++) {
        addStructure(
            new Structure(
                "conv" + l + "/filter" + j,
                l,
                j,
                Structure.Kind.FILTER,
                List.of(
                    new Structure.Slice(convolution(l) + ".weight", 0, j, j + 1),
                    new Structure.Slice(convolution(l) + ".bias", 0, j, j + 1),
                    new Structure.Slice(batchNorm(l) + ".weight", 0, j, j + 1),
                    new Structure.Slice(batchNorm(l) + ".bias", 0, j, j + 1),
                    new Structure.Slice(next + ".weight", 1, j, j + 1))));
      }
    }
    this.dropouts =
        new Dropout[] {
          new Dropout(config.dropout(), 0, dropout), new Dropout(config.dropout(), 1, dropout)
        };
  }

  public Config config() {
    return config;
  }

  /**
   * The PyTorch name of convolution {@code l}: its index in {@code features} (conv, BN, ReLU, and a
   * pool).
   */
  private static String convolution(int l) {
    return "features." + featureIndex(l);
  }

  private static String batchNorm(int l) {
    return "features." + (featureIndex(l) + 1);
  }

  private static int featureIndex(int l) {
    int index = 0;
    for (int k = 0; k < l; k++) {
      index += POOL_AFTER[k] ? 4 : 3;
    }
    return index;
  }

  private int inputs(int l) {
    return l == 0 ? 3 : channels[l - 1];
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray h = input;
    for (int l = 0; l < CONVOLUTIONS; l++) {
      h = batchNorm(convolution(h, convolution(l), 1), batchNorm(l));
      h = Activation.relu(maskFilters(h, l));
      if (POOL_AFTER[l]) {
        h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
      }
    }
    h = h.reshape(h.getShape().get(0), -1);
    h = Activation.relu(linear(dropout(h, 0), "classifier.1"));
    h = Activation.relu(linear(dropout(h, 1), "classifier.4"));
    return linear(h, "classifier.6");
  }

  /**
   * Dropout {@code slot} in training mode. Slot 0 reads the last convolution's features, one per
   * filter (the 1×1 map after the fifth pool, flattened): once that layer is compacted it draws the
   * full layer's mask and keeps the present filters' columns, as the masked model would drop them.
   */
  private NDArray dropout(NDArray h, int slot) {
    if (!training()) {
      return h;
    }
    if (slot == 0) {
      int last = CONVOLUTIONS - 1;
      return dropouts[0].apply(h, step(), masks.size(last), compaction().presentIndices(last));
    }
    return dropouts[slot].apply(h, step());
  }

  @Override
  public long keptParameters() {
    long kept = 0;
    for (int l = 0; l < CONVOLUTIONS; l++) {
      long out = masks.keptCount(l);
      kept += convolutionParameters(keptInputs(l), out, true) + 2 * out;
    }
    for (long[] layer : classifierSizes()) {
      kept += layer[0] * layer[1] + layer[1];
    }
    return kept - maskedWeightsOutsideStructures();
  }

  @Override
  public long flopsPerSample() {
    long flops = 0;
    long size = IMAGE_SIZE;
    for (int l = 0; l < CONVOLUTIONS; l++) {
      flops += convolutionFlops(keptInputs(l), masks.keptCount(l), size);
      size = POOL_AFTER[l] ? size / 2 : size;
    }
    for (long[] layer : classifierSizes()) {
      flops += 2 * layer[0] * layer[1];
    }
    return flops;
  }

  private long keptInputs(int l) {
    return l == 0 ? 3 : masks.keptCount(l - 1);
  }

  /** The classifier's linear layers as {inputs, outputs} under the masks. */
  private List<long[]> classifierSizes() {
    List<long[]> sizes = new ArrayList<>();
    sizes.add(new long[] {masks.keptCount(CONVOLUTIONS - 1), config.hidden()});
    sizes.add(new long[] {config.hidden(), config.hidden()});
    sizes.add(new long[] {config.hidden(), config.classes()});
    return sizes;
  }
}
