package dev.polyak.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;

/** Input rows held as Java arrays, for tests that build probe objectives by hand. */
public final class TestRows {
  private TestRows() {}

  /** Rows [from, to) of x as one [to − from, d] array on {@code manager}. */
  public static NDArray rows(NDManager manager, float[][] x, int from, int to) {
    int d = x[0].length;
    float[] flat = new float[(to - from) * d];
    for (int b = from; b < to; b++) {
      System.arraycopy(x[b], 0, flat, (b - from) * d, d);
    }
    return manager.create(flat, new Shape(to - from, d));
  }

  /** n rows of d standard normal values from {@code stream}. */
  public static float[][] gaussian(RandomStream stream, int n, int d) {
    float[][] x = new float[n][d];
    for (float[] row : x) {
      stream.fillGaussian(row, 1f);
    }
    return x;
  }
}
