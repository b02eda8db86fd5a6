package dev.polyak.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.MaskedModel;
import dev.polyak.random.RandomStream;

/** Test data as Java arrays, and their rows as a batch on a model's manager. */
public final class TestArrays {
  private TestArrays() {}

  /** Rows [from, to) of {@code values} as a {@code [to - from, d]} array of the model's parameter manager. */
  public static NDArray rows(MaskedModel model, float[][] values, int from, int to) {
    int d = values[0].length;
    float[] flat = new float[(to - from) * d];
    for (int b = from; b < to; b++) {
      System.arraycopy(values[b], 0, flat, (b - from) * d, d);
    }
    return model.parameters().manager().create(flat, new Shape(to - from, d));
  }

  /** n rows of d standard normal values from {@code stream}. */
  public static float[][] gaussian(RandomStream stream, int n, int d) {
    float[][] values = new float[n][d];
    for (float[] row : values) {
      stream.fillGaussian(row, 1f);
    }
    return values;
  }
}
