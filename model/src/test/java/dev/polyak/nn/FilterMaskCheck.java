package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.List;

/**
 * The filter-mask contract, checked through a model's own structure data: after masking some
 * filters, every slice of a masked filter gets exactly zero gradient, a kept filter's slices do
 * not, unmasking a filter changes the output, and overwriting the masked slices with other values
 * leaves it unchanged to the bit.
 */
final class FilterMaskCheck {
  private FilterMaskCheck() {}

  /** A CIFAR-shaped batch [batch, 3, 32, 32] of normal(0, 1) pixels from a fixed stream. */
  static NDArray images(NDManager manager, int batch) {
    float[] pixels = new float[batch * 3 * 32 * 32];
    new RandomStreams(11).stream("data").fillGaussian(pixels, 1f);
    return manager.create(pixels, new Shape(batch, 3, 32, 32));
  }

  /** Structure {@code index} of mask group {@code layer}. */
  static Structure filter(MaskedModel model, int layer, int index) {
    return model.structures().stream()
        .filter(s -> s.layer() == layer && s.index() == index)
        .findFirst()
        .orElseThrow();
  }

  /** The elements of {@code array} in {@code slice}, row-major. */
  static float[] elements(NDArray array, Structure.Slice slice) {
    try (NDArray part = array.get(index(slice))) {
      return part.toFloatArray();
    }
  }

  private static NDIndex index(Structure.Slice slice) {
    return new NDIndex(":, ".repeat(slice.axis()) + slice.from() + ":" + slice.to());
  }

  /**
   * Masks {@code masked} (structures of {@code model}), runs a training-mode forward and backward
   * of the summed squared logits and checks the contract; {@code kept} is a structure left on.
   */
  static void check(MaskedModel model, NDManager manager, List<Structure> masked, Structure kept) {
    for (Structure s : masked) {
      model.masks().set(s.layer(), s.index(), false);
    }
    model.trainingStep(5);
    NDArray x = images(manager, 4);
    float[] before;
    try (Autograd.Mode on = Autograd.recording(true)) {
      NDArray logits = model.forward(x);
      before = logits.toFloatArray();
      Autograd.backward(logits.square().sum());
    }
    Parameters p = model.parameters();
    for (Structure s : masked) {
      for (Structure.Slice slice : s.slices()) {
        assertThat(elements(p.get(slice.parameter()).getGradient(), slice))
            .as("gradient of %s in %s", s.id(), slice)
            .containsOnly(0f);
      }
    }
    for (Structure.Slice slice : kept.slices()) {
      assertThat(elements(p.get(slice.parameter()).getGradient(), slice))
          .as("gradient of kept %s in %s", kept.id(), slice)
          .isNotEqualTo(new float[elements(p.get(slice.parameter()), slice).length]);
    }

    RandomStream noise = new RandomStreams(99).stream("noise");
    try (Autograd.Mode off = Autograd.recording(false)) {
      // Unmasking changes the output (checked before the overwrite below, which may kill the
      // filter).
      Structure first = masked.get(0);
      model.masks().set(first.layer(), first.index(), true);
      assertThat(model.forward(x).toFloatArray()).isNotEqualTo(before);
      model.masks().set(first.layer(), first.index(), false);
      for (Structure s : masked) {
        for (Structure.Slice slice : s.slices()) {
          NDArray parameter = p.get(slice.parameter());
          try (NDArray part = parameter.get(index(slice))) {
            float[] values = new float[Math.toIntExact(part.size())];
            noise.fillGaussian(values, 3f);
            parameter.set(index(slice), manager.create(values, part.getShape()));
          }
        }
      }
      assertThat(model.forward(x).toFloatArray()).isEqualTo(before);
    }
  }
}
