package dev.polyak.train;

import dev.polyak.RunFileException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The kinds of model a preset name can name, with the size options each accepts in {@code
 * model_options} and the default learning rate of its recipe.
 */
public enum ModelFamily {
  /** Fully connected ReLU net on flattened CIFAR images (a test and diagnostics model). */
  MLP(false, 0.01, Set.of("hidden", "layers"), "mlp"),
  /** BERT encoder, masked language modelling. */
  BERT(
      true,
      1e-3,
      Set.of("hidden", "layers", "heads", "ffn"),
      "bert-tiny",
      "bert-small",
      "bert-base"),
  /** Switch Transformer (BERT with top-1 routed expert FFNs), masked language modelling. */
  SWITCH(
      true,
      1e-3,
      Set.of("hidden", "layers", "heads", "ffn", "experts"),
      "switch-tiny",
      "switch-small",
      "switch-base"),
  /**
   * CIFAR VGG-16 with batch norm; {@code width_divisor} divides every width (a reduced preset for
   * tests).
   */
  VGG(false, 0.1, Set.of("width_divisor"), "vgg16"),
  /** CIFAR ResNet; {@code blocks_per_stage} 9 is ResNet-56, 1 is ResNet-8. */
  RESNET(false, 0.1, Set.of("blocks_per_stage"), "resnet56");

  private final boolean transformer;
  private final double learningRate;
  private final Set<String> options;
  private final String[] presets;

  ModelFamily(boolean transformer, double learningRate, Set<String> options, String... presets) {
    this.transformer = transformer;
    this.learningRate = learningRate;
    this.options = options;
    this.presets = presets;
  }

  /**
   * The structures a {@code pruning:} block prunes when it names no scope: neurons (MLP), heads
   * (BERT), experts (Switch, as in the paper's Switch experiments), filters (VGG, ResNet).
   */
  public java.util.Set<dev.polyak.nn.Structure.Kind> structureKinds() {
    return java.util.Set.of(
        switch (this) {
          case MLP -> dev.polyak.nn.Structure.Kind.NEURON;
          case BERT -> dev.polyak.nn.Structure.Kind.HEAD;
          case SWITCH -> dev.polyak.nn.Structure.Kind.EXPERT;
          case VGG, RESNET -> dev.polyak.nn.Structure.Kind.FILTER;
        });
  }

  /** True for the token models (masked language modelling, AdamW recipe). */
  public boolean transformer() {
    return transformer;
  }

  /**
   * The default (peak) learning rate: 1e-3 for AdamW on the transformers (small models tolerate
   * more than bert-base's 1e-4), 0.1 for the paper's CNNs with batch norm, 0.01 for the MLP, which
   * has no normalisation and overshoots at 0.1 with momentum 0.9.
   */
  public double learningRate() {
    return learningRate;
  }

  /** The family of preset {@code name}. */
  public static ModelFamily of(String name) {
    for (ModelFamily family : values()) {
      for (String preset : family.presets) {
        if (preset.equals(name)) {
          return family;
        }
      }
    }
    throw new RunFileException(
        "model", "unknown model '" + name + "'; presets: " + String.join(", ", allPresets()));
  }

  /** Every preset name, family by family. */
  public static java.util.List<String> allPresets() {
    java.util.List<String> all = new java.util.ArrayList<>();
    for (ModelFamily family : values()) {
      all.addAll(java.util.List.of(family.presets));
    }
    return all;
  }

  void checkOptions(Map<String, Integer> given) {
    for (Map.Entry<String, Integer> e : given.entrySet()) {
      if (!options.contains(e.getKey())) {
        throw new RunFileException(
            "model_options." + e.getKey(),
            "model_options: '"
                + e.getKey()
                + "' is not an"
                + " option of "
                + name().toLowerCase(Locale.ROOT)
                + " models; allowed: "
                + String.join(", ", new TreeSet<>(options)));
      }
      if (e.getValue() == null || e.getValue() < 1) {
        throw new RunFileException(
            "model_options." + e.getKey(),
            "model_options: '"
                + e.getKey()
                + "' must be a"
                + " positive integer, got "
                + e.getValue());
      }
    }
  }
}
