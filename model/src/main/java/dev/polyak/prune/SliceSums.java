package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A structured score from a per-weight one: each structure's sum, in float64, of a per-weight array
 * over its slices (where slices of two structures overlap, the shared weights count for both). What
 * magnitude, SNIP and GraSP have in common.
 */
final class SliceSums {
  /**
   * The per-weight array of one parameter, of its shape; computed with recording off, closed after
   * use.
   */
  @FunctionalInterface
  interface PerWeight {
    /**
     * @param position the parameter's position in parameter order
     * @param weight the parameter's values, as float64
     */
    NDArray of(int position, NDArray weight);
  }

  /** Slice {@code slice} of structure {@code structure}. */
  private record Use(int structure, Structure.Slice slice) {}

  private SliceSums() {}

  /**
   * One sum per structure, in the model's structure order; one parameter's per-weight array at a
   * time.
   */
  static double[] of(MaskedModel model, PerWeight perWeight) {
    List<Structure> structures = model.structures();
    Map<String, List<Use>> uses = new LinkedHashMap<>();
    for (int s = 0; s < structures.size(); s++) {
      for (Structure.Slice slice : structures.get(s).slices()) {
        model.parameters().get(slice.parameter()); // refuses a slice of no parameter, naming it
        uses.computeIfAbsent(slice.parameter(), name -> new ArrayList<>()).add(new Use(s, slice));
      }
    }
    double[] sums = new double[structures.size()];
    int position = 0;
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, NDArray> parameter : model.parameters().all().entrySet()) {
        List<Use> parameterUses = uses.get(parameter.getKey());
        if (parameterUses != null) {
          try (NDScope scope = new NDScope()) {
            NDArray values =
                perWeight.of(position, parameter.getValue().toType(DataType.FLOAT64, false));
            for (Use use : parameterUses) {
              sums[use.structure()] += Magnitude.slice(values, use.slice()).sum().getDouble();
            }
          }
        }
        position++;
      }
    }
    return sums;
  }
}
