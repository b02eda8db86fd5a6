package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;

/**
 * The {@code magnitude} importance: the L1 norm of each structure's weights, over all of its slices
 * (incoming and outgoing; where slices of two structures overlap, the shared weights count for
 * both), summed in float64.
 */
public final class Magnitude {
  private Magnitude() {}

  /** One score per structure, in the model's structure order. */
  public static double[] scores(MaskedModel model) {
    return SliceSums.of(model, (position, weight) -> weight.abs());
  }

  /**
   * |w| of every element of each prunable weight: lth and magnitude in the {@code weights} scope.
   */
  public static java.util.Map<String, double[]> weightScores(MaskedModel model) {
    return PerWeightScores.of(model, (position, weight) -> weight.abs());
  }

  /**
   * Elements [from, to) along the slice's axis: an index of {@code axis} full dimensions, then the
   * range.
   */
  static NDArray slice(NDArray parameter, Structure.Slice slice) {
    StringBuilder index = new StringBuilder();
    for (int d = 0; d < slice.axis(); d++) {
      index.append(":, ");
    }
    index.append(slice.from()).append(':').append(slice.to());
    return parameter.get(new NDIndex(index.toString()));
  }
}
