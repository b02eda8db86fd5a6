package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import dev.polyak.random.RandomStream;

/**
 * Inverted dropout whose keep mask is drawn in Java from a {@link RandomStream}, never from the
 * engine's generator (shared by every thread of the JVM). The mask is a pure function of the
 * stream's key, the optimizer step, this dropout's slot and the element index: element {@code i}
 * (in row-major order) of the activation at step {@code s} is decided by the draw at position
 * {@code s * DRAWS_PER_STEP + slot * DRAWS_PER_SLOT + i}, kept when its {@link
 * RandomStream#nextFloat()} is below {@code 1 - p}, and then scaled by {@code 1 / (1 - p)} (as
 * {@code torch.nn.functional.dropout}). So the same step drops the same elements in any thread,
 * after a resume, and whatever other layers draw; every forward at one step (micro-batches of one
 * step, a repeated forward) sees the same mask.
 */
public final class Dropout {
  /**
   * Draws reserved per dropout slot and step: 2^28 elements, far above any CIFAR activation (batch
   * 1024 × 512 features is 2^19).
   */
  public static final long DRAWS_PER_SLOT = 1L << 28;

  /** Dropout slots one stream can serve; slots of one model must be distinct. */
  public static final int SLOTS = 16;

  /**
   * Draws reserved per optimizer step: {@code SLOTS * DRAWS_PER_SLOT = 2^32}, so steps up to 2^31
   * fit a long.
   */
  public static final long DRAWS_PER_STEP = SLOTS * DRAWS_PER_SLOT;

  private final float probability;
  private final int slot;
  private final RandomStream stream;

  /**
   * @param probability the chance that an element is zeroed, in [0, 1)
   * @param slot this dropout's index among the model's dropouts, in [0, {@link #SLOTS})
   * @param stream the model's dropout stream; copied, so the caller's position is untouched
   */
  public Dropout(float probability, int slot, RandomStream stream) {
    if (!(probability >= 0f && probability < 1f)) {
      throw new IllegalArgumentException(
          "dropout probability must be in [0, 1), got " + probability);
    }
    if (slot < 0 || slot >= SLOTS) {
      throw new IllegalArgumentException("dropout slot must be in [0, " + SLOTS + "), got " + slot);
    }
    this.probability = probability;
    this.slot = slot;
    this.stream = stream.copy();
  }

  public float probability() {
    return probability;
  }

  /**
   * The multiplier of each of {@code size} elements at optimizer step {@code step}: 0 for a dropped
   * element, {@code 1 / (1 - p)} for a kept one.
   */
  public float[] mask(long step, int size) {
    if (step < 0 || step >= Long.MAX_VALUE / DRAWS_PER_STEP) {
      throw new IllegalArgumentException("step out of range: " + step);
    }
    if (size > DRAWS_PER_SLOT) {
      throw new IllegalArgumentException(
          "activation of " + size + " elements exceeds the " + DRAWS_PER_SLOT + " draws of a slot");
    }
    float keep = 1f - probability;
    float scale = 1f / keep;
    float[] mask = new float[size];
    stream.seek(step * DRAWS_PER_STEP + slot * DRAWS_PER_SLOT);
    for (int i = 0; i < size; i++) {
      mask[i] = stream.nextFloat() < keep ? scale : 0f;
    }
    return mask;
  }

  /**
   * {@code input} times its mask at {@code step}; the result and the mask live on the input's
   * manager (and the step's scope). The mask must not be closed before the backward pass, which
   * reads it: an array made from Java values wraps memory the JVM frees once the array is closed
   * and collected, and the gradient then read whatever was allocated there next (NaN in
   * DropoutTest, sporadic divergence in VGG-16 training before this was fixed).
   */
  public NDArray apply(NDArray input, long step) {
    if (probability == 0f) {
      return input;
    }
    float[] values = mask(step, Math.toIntExact(input.size()));
    return input.mul(input.getManager().create(values, input.getShape()));
  }

  /**
   * {@link #apply(NDArray, long)} for {@code input} [rows, columns.length] that holds the columns
   * {@code columns} (ascending) of an activation [rows, fullColumns]: each element gets the mask
   * entry the full activation's element would get, so that a compacted model (pruned features
   * sliced out) drops what the masked model drops.
   */
  public NDArray apply(NDArray input, long step, int fullColumns, int[] columns) {
    if (probability == 0f || columns.length == fullColumns) {
      return apply(input, step);
    }
    int rows = Math.toIntExact(input.getShape().get(0));
    if (input.getShape().dimension() != 2 || input.getShape().get(1) != columns.length) {
      throw new IllegalArgumentException(
          "expected [rows, " + columns.length + "], got " + input.getShape());
    }
    float[] full = mask(step, Math.multiplyExact(rows, fullColumns));
    float[] values = new float[rows * columns.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns.length; c++) {
        values[r * columns.length + c] = full[r * fullColumns + columns[c]];
      }
    }
    return input.mul(input.getManager().create(values, input.getShape()));
  }
}
