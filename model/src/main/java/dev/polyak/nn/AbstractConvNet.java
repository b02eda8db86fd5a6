package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.polyak.random.RandomStream;

/**
 * What the CIFAR convolutional networks share: 3×3 convolutions in PyTorch's layouts, batch norm
 * with PyTorch's semantics (training mode updates the running statistics), per-filter masks and the
 * training/evaluation switch. Parameter names follow the PyTorch modules of {@code anchors/cnn.py},
 * so an exported state dict loads into them. A new model is in evaluation mode until {@link
 * #trainingStep(long)}.
 *
 * <p>Initialisation and batch norm: docs/design/models.md (AbstractConvNet).
 */
abstract class AbstractConvNet extends AbstractMaskedModel {
  /** {@code nn.BatchNorm2d}'s default epsilon. */
  static final double BATCH_NORM_EPS = 1e-5;

  /** {@code nn.BatchNorm2d}'s default momentum, in PyTorch's sense (weight of the new batch). */
  static final double BATCH_NORM_MOMENTUM = 0.1;

  /** The channel block of the engine's avx512 convolution kernels (see {@link #convolution3x3}). */
  static final int CHANNEL_BLOCK = 16;

  private static final Shape KERNEL = new Shape(3, 3);
  private static final Shape PADDING = new Shape(1, 1);
  private static final Shape DILATION = new Shape(1, 1);

  private boolean training;
  private long step;
  private java.util.function.ObjIntConsumer<NDArray> featureMaps;

  protected AbstractConvNet(NDManager manager, int... filtersPerLayer) {
    super(manager, filtersPerLayer);
  }

  @Override
  public final void trainingStep(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    this.training = true;
    this.step = step;
  }

  @Override
  public final void observeFeatureMaps(java.util.function.ObjIntConsumer<NDArray> observer) {
    this.featureMaps = observer;
  }

  @Override
  public final void evaluation() {
    this.training = false;
  }

  /** Whether the model is in training mode. */
  protected final boolean training() {
    return training;
  }

  /** The optimizer step given to the last {@link #trainingStep(long)}. */
  protected final long step() {
    return step;
  }

  /**
   * A 3×3 convolution {@code <name>.weight} [out, in, 3, 3] (Kaiming fan-out), with a zero bias if
   * asked.
   */
  protected final void addConvolution(
      String name, int in, int out, boolean bias, RandomStream init) {
    parameters.normal(
        name + ".weight", new Shape(out, in, 3, 3), (float) Math.sqrt(2.0 / (out * 9)), init);
    addPrunableWeight(name + ".weight");
    if (bias) {
      parameters.constant(name + ".bias", new Shape(out), 0f);
    }
  }

  /**
   * Batch norm over {@code channels}: gain one, shift zero; running mean zero and variance one as
   * buffers.
   */
  protected final void addBatchNorm(String name, int channels) {
    Shape shape = new Shape(channels);
    parameters.constant(name + ".weight", shape, 1f);
    parameters.constant(name + ".bias", shape, 0f);
    float[] ones = new float[channels];
    java.util.Arrays.fill(ones, 1f);
    parameters.buffer(name + ".running_mean", new float[channels], shape);
    parameters.buffer(name + ".running_var", ones, shape);
    addFollowingBuffer(name + ".running_mean", name + ".weight");
    addFollowingBuffer(name + ".running_var", name + ".weight");
  }

  /**
   * Every group is a convolution's filters, and every filter can be sliced out: its output channel
   * (convolution weight and bias, batch-norm weight, bias and running statistics) and the next
   * layer's input channel.
   */
  @Override
  public final boolean compactable(int layer) {
    return true;
  }

  /** The 3×3, padding-1 convolution {@code name} with {@code stride}; its bias if it has one. */
  protected final NDArray convolution(NDArray input, String name, int stride) {
    return convolution3x3(
        input,
        weight(name + ".weight", input.getManager()),
        parameters.all().get(name + ".bias"),
        stride);
  }

  /**
   * The 3×3, padding-1 convolution of {@code input} by {@code weight} [out, in, 3, 3] (and {@code
   * bias}, or null). Channel counts that are not a multiple of {@link #CHANNEL_BLOCK} are padded
   * with zero channels (zero weights, zero bias, output sliced back): on an avx512 CPU the engine's
   * oneDNN backward pass pads such counts to the block itself and then returns a wrong input
   * gradient (finite but off, or NaN when the padding's memory held NaN): the reduced VGG-16's 4-
   * and 8-filter layers diverged or scored NaN (ConvolutionBackwardStaleMemoryTest). On an AMD Zen
   * 5 CPU the forward pass is wrong as well, far beyond rounding, for more than {@link
   * #CHANNEL_BLOCK} input channels that are not a multiple of it and a batch above one (a compacted
   * ResNet's 24 inner channels evaluated 0.4 off). So input channels are padded when the input
   * needs a gradient or has more than one block of channels (never for the 3 channels of images).
   * The zero channels add exact zeros, so the real channels' values are the mathematically same
   * convolution.
   */
  static NDArray convolution3x3(NDArray input, NDArray weight, NDArray bias, int stride) {
    Shape strides = new Shape(stride, stride);
    long out = weight.getShape().get(0);
    long in = weight.getShape().get(1);
    long extraOut = Math.floorMod(-out, CHANNEL_BLOCK);
    long extraIn =
        in > CHANNEL_BLOCK || JniUtils.requiresGrad((PtNDArray) input)
            ? Math.floorMod(-in, CHANNEL_BLOCK)
            : 0;
    if (extraOut == 0 && extraIn == 0) {
      return Conv2d.conv2d(input, weight, bias, strides, PADDING, DILATION, 1).singletonOrThrow();
    }
    NDManager manager = input.getManager();
    NDArray x = input;
    NDArray w = weight;
    NDArray b = bias;
    // The padded weight and bias belong to the input's manager (the step's), not the parameters'.
    if (extraIn > 0) {
      Shape shape = input.getShape();
      x = x.concat(manager.zeros(new Shape(shape.get(0), extraIn, shape.get(2), shape.get(3))), 1);
      w = w.concat(manager.zeros(new Shape(out, extraIn, 3, 3)), 1);
      w.attach(manager);
    }
    if (extraOut > 0) {
      w = w.concat(manager.zeros(new Shape(extraOut, in + extraIn, 3, 3)), 0);
      w.attach(manager);
      if (b != null) {
        b = b.concat(manager.zeros(new Shape(extraOut)), 0);
        b.attach(manager);
      }
    }
    NDArray y = Conv2d.conv2d(x, w, b, strides, PADDING, DILATION, 1).singletonOrThrow();
    return extraOut == 0 ? y : y.get(new ai.djl.ndarray.index.NDIndex(":, :{}", out));
  }

  /** Batch norm {@code name} over axis 1, in the model's current mode. */
  protected final NDArray batchNorm(NDArray input, String name) {
    return JniUtils.batchNorm(
        (PtNDArray) input,
        (PtNDArray) parameters.buffers().get(name + ".running_mean"),
        (PtNDArray) parameters.buffers().get(name + ".running_var"),
        (PtNDArray) parameters.get(name + ".weight"),
        (PtNDArray) parameters.get(name + ".bias"),
        training,
        BATCH_NORM_MOMENTUM,
        BATCH_NORM_EPS);
  }

  /**
   * A linear layer {@code name.weight [out, in]}, {@code name.bias [out]} initialised as PyTorch's
   * {@code nn.Linear} default: both uniform in ±1/sqrt(in).
   */
  protected final void addLinear(String name, int in, int out, RandomStream init) {
    float bound = (float) (1.0 / Math.sqrt(in));
    float[] weight = new float[in * out];
    init.fillUniform(weight, -bound, bound);
    parameters.add(name + ".weight", weight, new Shape(out, in));
    addPrunableWeight(name + ".weight");
    float[] bias = new float[out];
    init.fillUniform(bias, -bound, bound);
    parameters.add(name + ".bias", bias, new Shape(out));
  }

  /** {@code input} [batch, features] times {@code <name>.weight}ᵀ plus {@code <name>.bias}. */
  protected final NDArray linear(NDArray input, String name) {
    return Linear.linear(
            input, weight(name + ".weight", input.getManager()), parameters.get(name + ".bias"))
        .singletonOrThrow();
  }

  /**
   * Multiplies channel {@code c} of NCHW {@code input} by layer {@code layer}'s mask (and gate)
   * entry of the {@code c}-th filter still in the tensors (filter {@code c} unless the layer is
   * compacted), and hands the result to the feature-map observer if one is set.
   */
  protected final NDArray maskFilters(NDArray input, int layer) {
    NDArray factor = outputFactor(layer, input.getManager(), 1, presentCount(layer), 1, 1);
    NDArray masked = factor == null ? input : input.mul(factor);
    if (featureMaps != null) {
      featureMaps.accept(masked, layer);
    }
    return masked;
  }

  /**
   * Parameters of a 3×3 convolution from {@code in} to {@code out} channels, with bias if asked.
   */
  static long convolutionParameters(long in, long out, boolean bias) {
    return in * out * 9 + (bias ? out : 0);
  }

  /**
   * Multiply-adds times two per sample of a 3×3 convolution producing {@code size}×{@code size}
   * maps.
   */
  static long convolutionFlops(long in, long out, long size) {
    return 2 * in * out * 9 * size * size;
  }
}
