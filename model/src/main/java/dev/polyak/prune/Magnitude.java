package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.List;

/**
 * The {@code magnitude} importance: the L1 norm of each structure's weights, over all of its slices
 * (incoming and outgoing; where slices of two structures overlap, the shared weights count for
 * both), summed in float64.
 */
public final class Magnitude {
  private Magnitude() {}

  /** One score per structure, in the model's structure order. */
  public static double[] scores(MaskedModel model) {
    List<Structure> structures = model.structures();
    double[] scores = new double[structures.size()];
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int s = 0; s < scores.length; s++) {
        for (Structure.Slice slice : structures.get(s).slices()) {
          try (NDScope scope = new NDScope()) {
            scores[s] += slice(model.parameters().get(slice.parameter()), slice).toType(DataType.FLOAT64, false).abs()
                .sum().getDouble();
          }
        }
      }
    }
    return scores;
  }

  /** Elements [from, to) along the slice's axis: an index of {@code axis} full dimensions, then the range. */
  static NDArray slice(NDArray parameter, Structure.Slice slice) {
    StringBuilder index = new StringBuilder();
    for (int d = 0; d < slice.axis(); d++) {
      index.append(":, ");
    }
    index.append(slice.from()).append(':').append(slice.to());
    return parameter.get(new NDIndex(index.toString()));
  }
}
