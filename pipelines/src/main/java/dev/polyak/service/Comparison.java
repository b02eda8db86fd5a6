package dev.polyak.service;

import dev.polyak.io.AtomicFiles;
import dev.polyak.sweep.SweepSpec;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Pruning methods × seeds on one model and shard set, every pruned run with the same one-shot
 * schedule: a sweep with a method axis, one ratio and a seed axis, so that its statistics are the
 * sweep summary's. {@code polyak compare} writes {@link #sweepFile()} and runs it as any sweep.
 *
 * @param shards the shard set (made absolute in the sweep file)
 * @param model the model preset
 * @param trainSplit the split trained on
 * @param evalSplit the held-out split; null for the family's
 * @param methods pruning method names, {@code dense} for no pruning
 * @param seeds the seeds of every method
 * @param steps training steps per run
 * @param pruneStep the step of the one-shot pruning
 * @param ratio the fraction of the structures pruned
 * @param scope structure kinds to prune; empty for the model's own
 * @param evalEvery steps between evaluations
 * @param evalSamples held-out samples per evaluation
 * @param batchSize the batch size; null for the family's
 */
public record Comparison(
    Path shards,
    String model,
    String trainSplit,
    @Nullable String evalSplit,
    List<String> methods,
    List<Long> seeds,
    long steps,
    long pruneStep,
    double ratio,
    List<String> scope,
    long evalEvery,
    int evalSamples,
    @Nullable Integer batchSize) {
  public Comparison {
    methods = List.copyOf(methods);
    seeds = List.copyOf(seeds);
    scope = List.copyOf(scope);
    if (methods.isEmpty() || seeds.isEmpty()) {
      throw new IllegalArgumentException("a comparison needs at least one method and one seed");
    }
  }

  /**
   * The sweep file of the comparison: what every run shares at the top level, then grid method ×
   * ratio × seed.
   */
  public String sweepFile() {
    StringBuilder yaml = new StringBuilder();
    yaml.append("# written by polyak compare: ")
        .append(String.join(", ", methods))
        .append(" x seeds ")
        .append(seeds.stream().map(String::valueOf).collect(Collectors.joining(", ")))
        .append('\n')
        .append("model: ")
        .append(quoted(model))
        .append('\n')
        .append("data: ")
        .append(quoted(shards.toAbsolutePath().normalize().toString()))
        .append('\n')
        .append("train_split: ")
        .append(quoted(trainSplit))
        .append('\n');
    if (evalSplit != null) {
      yaml.append("eval_split: ").append(quoted(evalSplit)).append('\n');
    }
    yaml.append("steps: ")
        .append(steps)
        .append('\n')
        .append("eval_every: ")
        .append(evalEvery)
        .append('\n')
        .append("eval_samples: ")
        .append(evalSamples)
        .append('\n');
    if (batchSize != null) {
      yaml.append("batch_size: ").append(batchSize).append('\n');
    }
    yaml.append("pruning: {step: ")
        .append(pruneStep)
        .append(scope.isEmpty() ? "" : ", scope: " + list(scope))
        .append("}\n")
        .append("grid:\n")
        .append("  method: ")
        .append(list(methods))
        .append('\n')
        .append("  ratio: [")
        .append(BigDecimal.valueOf(ratio).toPlainString())
        .append("]\n")
        .append("  seed: [")
        .append(seeds.stream().map(String::valueOf).collect(Collectors.joining(", ")))
        .append("]\n");
    return yaml.toString();
  }

  /** Writes {@link #sweepFile()} to {@code file} (atomically) and reads it back as a sweep. */
  public SweepSpec writeSweepFile(Path file) {
    AtomicFiles.writeString(file, sweepFile());
    return SweepSpec.load(file);
  }

  private static String list(List<String> values) {
    return values.stream().map(Comparison::quoted).collect(Collectors.joining(", ", "[", "]"));
  }

  /** A YAML double-quoted scalar (JSON's string syntax, which YAML reads the same). */
  private static String quoted(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20) {
        quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
