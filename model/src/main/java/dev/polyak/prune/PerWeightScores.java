package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.WeightMasks;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A weight-level score from a per-weight one: the per-weight array of each prunable weight, as
 * float64 values, unsummed. What {@link SliceSums} is for structures, for the {@code weights}
 * scope; SNIP, GraSP and magnitude hand both the same per-weight function.
 */
final class PerWeightScores {
  private PerWeightScores() {}

  /** Each prunable weight's per-weight array, flat, by name in the model's order. */
  static Map<String, double[]> of(MaskedModel model, SliceSums.PerWeight perWeight) {
    WeightMasks masks = model.weightMasks();
    Map<String, double[]> scores = new LinkedHashMap<>();
    int position = 0;
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, NDArray> parameter : model.parameters().all().entrySet()) {
        if (masks.contains(parameter.getKey())) {
          try (NDScope scope = new NDScope()) {
            scores.put(
                parameter.getKey(),
                perWeight
                    .of(position, parameter.getValue().toType(DataType.FLOAT64, false))
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray());
          }
        }
        position++;
      }
    }
    return scores;
  }
}
