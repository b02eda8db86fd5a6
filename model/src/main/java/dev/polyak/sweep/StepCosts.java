package dev.polyak.sweep;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * What one training step of each model preset costs: milliseconds on one core at the preset's
 * default size and batch (16 sequences of 128 tokens for the transformers, 64 images for the CNNs
 * and the MLP), as measured on the 2-core dev machine by {@code polyak bench train}. The Switch
 * presets beyond switch-tiny are not measured: they scale the BERT preset of the same size by
 * switch-tiny / bert-tiny (250 / 180). Re-measure and update them here, in one place.
 */
final class StepCosts {
  private static final Map<String, Double> MILLIS_PER_STEP =
      Map.of(
          "mlp", 2.0,
          "bert-tiny", 180.0,
          "bert-small", 1400.0,
          "bert-base", 9000.0,
          "switch-tiny", 250.0,
          "switch-small", 1400.0 * 250 / 180,
          "switch-base", 9000.0 * 250 / 180,
          "vgg16", 1200.0,
          "resnet56", 900.0);

  private StepCosts() {}

  /** Milliseconds per step of {@code preset} on one core; empty for a preset never measured. */
  static OptionalDouble millisPerStep(String preset) {
    Double millis = MILLIS_PER_STEP.get(preset);
    return millis == null ? OptionalDouble.empty() : OptionalDouble.of(millis);
  }
}
