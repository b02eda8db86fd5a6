package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import dev.polyak.random.RandomStream;
import java.util.List;

/**
 * The CIFAR ResNet of He et al. (2016), the paper's second filter-pruning testbed, as {@code
 * anchors/cnn.py}: three stages of basic blocks (16, 32 and 64 channels) with parameter-free
 * option-A shortcuts; 9 blocks per stage give ResNet-56, n blocks ResNet-{6n+2}. Inputs are NCHW
 * float32 {@code [batch, 3, 32, 32]}. Its prunable structures are each block's inner filters, one
 * mask group per block; a masked filter outputs exactly zero and its parameters get exactly zero
 * gradient, while the block's output keeps its width for the residual sum. Compaction ({@link
 * Compaction}) slices a pruned inner filter out of {@code c1} (output channel), {@code b1} (weight,
 * bias, running statistics) and {@code c2} (input channel); {@code c2}'s outputs, {@code b2} and
 * the shortcut are never cut, so the residual sum and the next block see the full width.
 *
 * <p>Layers, filter slices and initialisation: docs/design/models.md (ResNet56).
 */
public final class ResNet56 extends AbstractConvNet {
  private static final int[] STAGE_WIDTHS = {16, 32, 64};
  private static final int IMAGE_SIZE = 32;

  /**
   * @param blocksPerStage basic blocks in each of the three stages (9 for ResNet-56, 1 for a fast
   *     ResNet-8)
   * @param classes output classes: 10 for CIFAR-10, 100 for CIFAR-100
   */
  public record Config(int blocksPerStage, int classes) {
    public Config {
      if (blocksPerStage < 1 || classes < 1) {
        throw new IllegalArgumentException(
            "need blocksPerStage >= 1 and classes >= 1, got " + blocksPerStage + ", " + classes);
      }
    }

    /** ResNet-56 for {@code classes} classes. */
    public static Config cifar(int classes) {
      return new Config(9, classes);
    }

    /** Layers with weights: {@code 6 * blocksPerStage + 2}. */
    public int depth() {
      return 6 * blocksPerStage + 2;
    }
  }

  private final Config config;

  /**
   * @param init the initial-weights stream ({@code RandomStreams.INIT})
   */
  public ResNet56(Config config, NDManager manager, RandomStream init) {
    super(manager, blockWidths(config));
    this.config = config;
    addConvolution("conv", 3, STAGE_WIDTHS[0], false, init);
    addBatchNorm("bn", STAGE_WIDTHS[0]);
    int[] widths = blockWidths(config);
    for (int k = 0; k < widths.length; k++) {
      String block = "blocks." + k;
      addConvolution(block + ".c1", blockInputs(k), widths[k], false, init);
      addBatchNorm(block + ".b1", widths[k]);
      addConvolution(block + ".c2", widths[k], widths[k], false, init);
      addBatchNorm(block + ".b2", widths[k]);
    }
    int features = STAGE_WIDTHS[STAGE_WIDTHS.length - 1];
    addLinear("fc", features, config.classes(), init);
    for (int k = 0; k < widths.length; k++) {
      String block = "blocks." + k;
      for (int j = 0; j < widths[k]; j++) {
        addStructure(
            new Structure(
                "block" + k + "/filter" + j,
                k,
                j,
                Structure.Kind.FILTER,
                List.of(
                    new Structure.Slice(block + ".c1.weight", 0, j, j + 1),
                    new Structure.Slice(block + ".b1.weight", 0, j, j + 1),
                    new Structure.Slice(block + ".b1.bias", 0, j, j + 1),
                    new Structure.Slice(block + ".c2.weight", 1, j, j + 1))));
      }
    }
  }

  public Config config() {
    return config;
  }

  /** The output width of every block, in order. */
  private static int[] blockWidths(Config config) {
    int n = config.blocksPerStage();
    int[] widths = new int[3 * n];
    for (int k = 0; k < widths.length; k++) {
      widths[k] = STAGE_WIDTHS[k / n];
    }
    return widths;
  }

  private int blockInputs(int k) {
    return k == 0 ? STAGE_WIDTHS[0] : masks.size(k - 1);
  }

  /** Stride 2 for the first block of stages 2 and 3. */
  private int blockStride(int k) {
    int n = config.blocksPerStage();
    return k % n == 0 && k > 0 ? 2 : 1;
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray h = Activation.relu(batchNorm(convolution(input, "conv", 1), "bn"));
    for (int k = 0; k < masks.layers(); k++) {
      String block = "blocks." + k;
      int stride = blockStride(k);
      NDArray inner = batchNorm(convolution(h, block + ".c1", stride), block + ".b1");
      inner = Activation.relu(maskFilters(inner, k));
      NDArray residual = batchNorm(convolution(inner, block + ".c2", 1), block + ".b2");
      h = Activation.relu(residual.add(shortcut(h, stride, masks.size(k))));
    }
    h = Pool.globalAvgPool2d(h);
    return linear(h, "fc");
  }

  /**
   * Option A: identity, or every {@code stride}-th pixel with the missing channels zero on both
   * sides.
   */
  static NDArray shortcut(NDArray x, int stride, int width) {
    long channels = x.getShape().get(1);
    if (stride == 1 && channels == width) {
      return x;
    }
    NDArray sampled = x.get(new NDIndex(":, :, ::{}, ::{}", stride, stride));
    long pad = width - channels;
    Shape sampledShape = sampled.getShape();
    NDManager manager = x.getManager();
    NDArray before =
        manager.zeros(
            new Shape(sampledShape.get(0), pad / 2, sampledShape.get(2), sampledShape.get(3)));
    NDArray after =
        manager.zeros(
            new Shape(
                sampledShape.get(0), pad - pad / 2, sampledShape.get(2), sampledShape.get(3)));
    return NDArrays.concat(new NDList(before, sampled, after), 1);
  }

  @Override
  public long keptParameters() {
    long kept = convolutionParameters(3, STAGE_WIDTHS[0], false) + 2 * STAGE_WIDTHS[0];
    for (int k = 0; k < masks.layers(); k++) {
      long inner = masks.keptCount(k);
      long width = masks.size(k);
      kept += convolutionParameters(blockInputs(k), inner, false) + 2 * inner;
      kept += convolutionParameters(inner, width, false) + 2 * width;
    }
    long features = STAGE_WIDTHS[STAGE_WIDTHS.length - 1];
    return kept + features * config.classes() + config.classes() - maskedWeightsOutsideStructures();
  }

  @Override
  public long flopsPerSample() {
    long size = IMAGE_SIZE;
    long flops = convolutionFlops(3, STAGE_WIDTHS[0], size);
    for (int k = 0; k < masks.layers(); k++) {
      size /= blockStride(k);
      long inner = masks.keptCount(k);
      flops +=
          convolutionFlops(blockInputs(k), inner, size)
              + convolutionFlops(inner, masks.size(k), size);
    }
    return flops + 2L * STAGE_WIDTHS[STAGE_WIDTHS.length - 1] * config.classes();
  }
}
