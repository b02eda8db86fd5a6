package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplying or dividing by a number inside the autograd graph. DJL's {@code mul(Number)} and
 * {@code div(Number)} make the number an array from Java memory and close it right after the
 * operation, but the backward pass reads it (PyTorch's MulBackward and DivBackward save the other
 * operand): once a garbage collection freed that memory, gradients read whatever was allocated
 * there next. That was behind bert-tiny's nondeterminism and its NaN divergences (the attention's
 * division by √d). Here the number is made by the engine ({@code full}), so it lives in memory the
 * engine owns and the graph keeps it alive after its handle is closed.
 */
public final class Scalars {
  private Scalars() {}

  /** {@code x * c}, safe to differentiate. */
  public static NDArray mul(NDArray x, double c) {
    try (NDArray scalar = x.getManager().full(new Shape(), (float) c, x.getDataType())) {
      return x.mul(scalar);
    }
  }

  /** {@code x / c}, safe to differentiate. */
  public static NDArray div(NDArray x, double c) {
    try (NDArray scalar = x.getManager().full(new Shape(), (float) c, x.getDataType())) {
      return x.div(scalar);
    }
  }
}
