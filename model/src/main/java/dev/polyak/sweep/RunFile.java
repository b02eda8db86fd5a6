package dev.polyak.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cell's {@code run.yaml}: the keys of a run file in the order {@code RunSpec} documents them,
 * written as YAML text that {@code RunSpec.parse} reads. The key lists mirror {@code RunSpec}'s and
 * {@code PruningSpec.File}'s (a test checks them against the allowed keys those report).
 */
final class RunFile {
  /** The top-level keys of a run file. */
  static final List<String> KEYS =
      List.of(
          "model",
          "model_options",
          "data",
          "train_split",
          "eval_split",
          "seed",
          "steps",
          "batch_size",
          "optimizer",
          "learning_rate",
          "schedule",
          "warmup_steps",
          "weight_decay",
          "momentum",
          "max_gradient_norm",
          "eval_every",
          "eval_samples",
          "checkpoint_every",
          "keep_last",
          "keep_every",
          "pruning");

  /** The keys of its {@code pruning:} block. */
  static final List<String> PRUNING_KEYS =
      List.of(
          "method",
          "scope",
          "schedule",
          "step",
          "ratio",
          "start_epoch",
          "end_epoch",
          "every_epochs",
          "fraction",
          "final_ratio",
          "allocation",
          "min_per_layer",
          "scoring_samples",
          "scoring_batch",
          "compact",
          "options");

  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build());

  private RunFile() {}

  /**
   * The run file of {@code keys} (run-file keys to values; the pruning block a map of its keys).
   */
  static String write(Map<String, Object> keys) {
    Map<String, Object> ordered = ordered(keys, KEYS);
    if (ordered.get("pruning") instanceof Map<?, ?> pruning) {
      @SuppressWarnings("unchecked")
      Map<String, Object> block = (Map<String, Object>) pruning;
      ordered.put("pruning", ordered(block, PRUNING_KEYS));
    }
    try {
      return YAML.writeValueAsString(ordered);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a run file of " + keys, e);
    }
  }

  private static Map<String, Object> ordered(Map<String, Object> keys, List<String> order) {
    Map<String, Object> ordered = new LinkedHashMap<>();
    for (String key : order) {
      if (keys.get(key) != null) {
        ordered.put(key, keys.get(key));
      }
    }
    return ordered;
  }
}
