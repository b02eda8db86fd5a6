package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's trainable arrays by name, in a fixed order, owned by one manager. Values come from Java
 * random streams (never the engine's global generator), so the same seed gives the same weights in
 * any thread.
 */
public final class Parameters implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();
  private LinearTap tap;

  /**
   * Sees the linear layers of a forward pass (see {@link #linear}) and may replace their outputs:
   * the activation-based kernels read each layer's input and put a zero with a gradient on its
   * output, whose gradient is then the output gradient.
   */
  @FunctionalInterface
  public interface LinearTap {
    /**
     * The output the forward pass continues with, for {@code output = input · weight + bias}.
     *
     * @param weight the name of the weight, shaped [in, out]
     * @param bias the name of the bias, shaped [out]
     * @param input [batch, ..., in], the first axis the batch's samples
     * @param output [batch, ..., out]
     */
    NDArray tap(String weight, String bias, NDArray input, NDArray output);
  }

  public Parameters(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  public NDManager manager() {
    return manager;
  }

  /** Adds a parameter filled from {@code values} and marks it as requiring gradients. */
  public NDArray add(String name, float[] values, Shape shape) {
    NDArray array = create(name, values, shape);
    array.setRequiresGradient(true);
    arrays.put(name, array);
    return array;
  }

  /**
   * Adds a buffer: state that the forward pass updates but no optimizer touches (batch-norm running
   * statistics). Buffers travel with the weights in checkpoints.
   */
  public NDArray buffer(String name, float[] values, Shape shape) {
    NDArray array = create(name, values, shape);
    buffers.put(name, array);
    return array;
  }

  private NDArray create(String name, float[] values, Shape shape) {
    if (arrays.containsKey(name) || buffers.containsKey(name)) {
      throw new IllegalArgumentException("parameter " + name + " exists already");
    }
    NDArray array = manager.create(values, shape);
    NDScope.unregister(array);
    array.setName(name);
    return array;
  }

  /**
   * Replaces parameter or buffer {@code name} by a new array of {@code values} and {@code shape}
   * (compaction: a smaller tensor), keeping its place in the order; the old array is closed.
   */
  public void replace(String name, float[] values, Shape shape) {
    Map<String, NDArray> owner = arrays.containsKey(name) ? arrays : buffers;
    NDArray old = owner.get(name);
    if (old == null) {
      throw new IllegalArgumentException("no parameter " + name + "; have " + arrays.keySet());
    }
    NDArray array = manager.create(values, shape);
    NDScope.unregister(array);
    array.setName(name);
    if (owner == arrays) {
      array.setRequiresGradient(true);
    }
    owner.put(name, array);
    old.close();
  }

  /** A parameter with normal(0, std) entries drawn from {@code random}. */
  public NDArray normal(String name, Shape shape, float std, RandomStream random) {
    float[] values = new float[Math.toIntExact(shape.size())];
    random.fillGaussian(values, std);
    return add(name, values, shape);
  }

  /** A parameter with every entry equal to {@code value}. */
  public NDArray constant(String name, Shape shape, float value) {
    float[] values = new float[Math.toIntExact(shape.size())];
    java.util.Arrays.fill(values, value);
    return add(name, values, shape);
  }

  /** Sets the tap that sees every linear layer from now on, or removes it ({@code null}). */
  public void setLinearTap(LinearTap linearTap) {
    this.tap = linearTap;
  }

  /**
   * What a model returns for its linear layer {@code output = input · weight + bias}: the output
   * itself, or the tap's replacement when one is set. Models call it only for layers whose weight
   * is used unmasked and whose weight and bias the forward pass uses nowhere else; the input's
   * first axis must be the batch (each row of it belonging to one sample) whenever the samples of a
   * batch can be told apart (a Switch expert's rows are routed tokens: its probes run one at a
   * time).
   */
  public NDArray linear(String weight, String bias, NDArray input, NDArray output) {
    return tap == null ? output : tap.tap(weight, bias, input, output);
  }

  public NDArray get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter " + name + "; have " + arrays.keySet());
    }
    return a;
  }

  /** The trainable parameters, in creation order. */
  public Map<String, NDArray> all() {
    return Collections.unmodifiableMap(arrays);
  }

  /** The buffers (non-trainable state), in creation order. */
  public Map<String, NDArray> buffers() {
    return Collections.unmodifiableMap(buffers);
  }

  /** Parameters then buffers: everything a checkpoint must hold to restore the model. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> state = new LinkedHashMap<>(arrays);
    state.putAll(buffers);
    return Collections.unmodifiableMap(state);
  }

  /**
   * Overwrites {@code target}'s values in place, so that a parameter keeps its identity and
   * gradient; call it with recording off. Not DJL's {@code NDArray.set(float[])}: its native side
   * runs under PyTorch's deprecated {@code AutoNonVariableTypeMode}, which prints a deprecation
   * warning on stderr.
   */
  public static void overwrite(NDArray target, float[] values) {
    try (NDArray source = target.getManager().create(values, target.getShape())) {
      target.set(new ai.djl.ndarray.index.NDIndex("..."), source);
    }
  }

  public Collection<NDArray> arrays() {
    return arrays.values();
  }

  /** Number of trainable scalars. */
  public long count() {
    return arrays.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  @Override
  public void close() {
    manager.close();
  }
}
