package dev.polyak.train;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The kinds of model a preset name can name, with the size options each accepts in {@code model_options}. */
public enum ModelFamily {
  /** Fully connected ReLU net on flattened CIFAR images (a test and diagnostics model). */
  MLP(false, 0.01, Set.of("hidden", "layers")),
  /** BERT encoder, masked language modelling. */
  BERT(true, 1e-3, Set.of("hidden", "layers", "heads", "ffn"));

  private final boolean transformer;
  private final double learningRate;
  private final Set<String> options;

  ModelFamily(boolean transformer, double learningRate, Set<String> options) {
    this.transformer = transformer;
    this.learningRate = learningRate;
    this.options = options;
  }

  /**
   * The default (peak) learning rate: 1e-3 for BERT's AdamW (small models tolerate more than
   * bert-base's 1e-4), 0.1 for the paper's CNNs with batch norm, 0.01 for the MLP, which has no
   * normalisation and overshoots at 0.1 with momentum 0.9.
   */
  public double learningRate() {
    return learningRate;
  }

  /** True for the token models (masked language modelling, AdamW recipe). */
  public boolean transformer() {
    return transformer;
  }

  /** The family of preset {@code name}. */
  public static ModelFamily of(String name) {
    return switch (name) {
      case "mlp" -> MLP;
      case "bert-tiny", "bert-small", "bert-base" -> BERT;
      default -> throw new IllegalArgumentException("unknown model '" + name
          + "'; presets: mlp, bert-tiny, bert-small, bert-base");
    };
  }

  void checkOptions(Map<String, Integer> given) {
    for (Map.Entry<String, Integer> e : given.entrySet()) {
      if (!options.contains(e.getKey())) {
        throw new IllegalArgumentException("model_options: '" + e.getKey() + "' is not an option of " + name().toLowerCase(java.util.Locale.ROOT)
            + " models; allowed: " + String.join(", ", new TreeSet<>(options)));
      }
      if (e.getValue() == null || e.getValue() < 1) {
        throw new IllegalArgumentException("model_options: '" + e.getKey() + "' must be a positive integer, got " + e.getValue());
      }
    }
  }
}
