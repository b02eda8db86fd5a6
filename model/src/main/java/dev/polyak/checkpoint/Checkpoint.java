package dev.polyak.checkpoint;

import dev.polyak.PolyakVersion;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything needed to resume a training run exactly: the weights, the optimizer's state, the
 * structural masks, the position of every named random stream, the full RunSpec and the metrics so
 * far. Maps are copied into unmodifiable maps sorted by name, so two checkpoints with the same
 * content are equal.
 *
 * @param step the optimizer step the state belongs to (steps done so far), at least 0
 * @param weights model parameters by name
 * @param optimizerState optimizer tensors by name (moments, step counts)
 * @param masks structural masks by name
 * @param randomCursors position of each random stream, keyed by its purpose name ("init", "data
 *     order", "masking", ...)
 * @param runSpecJson the full RunSpec as JSON text; opaque here
 * @param metricsJson the metrics so far as JSON text; opaque here
 * @param pruning whether the checkpoint was written around a pruning event (retention keeps these)
 * @param polyakVersion the polyak version that wrote it
 * @param prunerState what a run's pruning keeps from one event to the next, by name (pl-gate's
 *     gating network v); empty for other runs
 */
public record Checkpoint(
    long step,
    Map<String, Tensor> weights,
    Map<String, Tensor> optimizerState,
    Map<String, Tensor> masks,
    Map<String, Long> randomCursors,
    String runSpecJson,
    String metricsJson,
    boolean pruning,
    String polyakVersion,
    Map<String, Tensor> prunerState) {

  public Checkpoint {
    if (step < 0) {
      throw new IllegalArgumentException("a checkpoint step cannot be negative: " + step);
    }
    weights = copy(weights, "weights");
    optimizerState = copy(optimizerState, "optimizerState");
    masks = copy(masks, "masks");
    randomCursors = copy(randomCursors, "randomCursors");
    prunerState = copy(prunerState, "prunerState");
    Objects.requireNonNull(runSpecJson, "runSpecJson");
    Objects.requireNonNull(metricsJson, "metricsJson");
    Objects.requireNonNull(polyakVersion, "polyakVersion");
  }

  /**
   * The name prefix of a weight-level mask among a checkpoint's masks ({@code masks/weight/<name>}
   * in the file, {@code mask/weight/<name>} in an export); only weights with a removed element are
   * written, so a run without weight pruning writes none. The structure masks are {@code layer<l>}.
   */
  public static final String WEIGHT_MASK_PREFIX = "weight/";

  /**
   * The name prefix of a compaction map among a checkpoint's masks ({@code compaction/layer<l>}:
   * each structure's position in the compacted tensors, -1 if sliced out, {@code
   * Compaction#encode}); written only for a compacted model, so a checkpoint without it holds
   * full-size tensors.
   */
  public static final String COMPACTION_PREFIX = "compaction/";

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Weight {@code name}.
   *
   * @throws IllegalArgumentException naming the step if the checkpoint has no such weight
   */
  public Tensor weight(String name) {
    Tensor t = weights.get(name);
    if (t == null) {
      throw new IllegalArgumentException("checkpoint at step " + step + " has no weight " + name);
    }
    return t;
  }

  /** Whether the tensors are compacted: the masks hold compaction maps. */
  public boolean compacted() {
    return masks.keySet().stream().anyMatch(n -> n.startsWith(COMPACTION_PREFIX));
  }

  private static <V> SortedMap<String, V> copy(Map<String, V> map, String what) {
    Objects.requireNonNull(map, what);
    SortedMap<String, V> copy = new TreeMap<>();
    for (Map.Entry<String, V> entry : map.entrySet()) {
      if (entry.getKey() == null || entry.getKey().isEmpty()) {
        throw new IllegalArgumentException(what + " has an empty name");
      }
      copy.put(
          entry.getKey(), Objects.requireNonNull(entry.getValue(), what + " " + entry.getKey()));
    }
    return Collections.unmodifiableSortedMap(copy);
  }

  /** Builds a checkpoint: {@code setX} for what it needs, {@code optX} for what has a default. */
  public static final class Builder {
    private Long step;
    private Map<String, Tensor> weights;
    private String runSpecJson;
    private Map<String, Tensor> optimizerState = Map.of();
    private Map<String, Tensor> masks = Map.of();
    private Map<String, Long> randomCursors = Map.of();
    private String metricsJson = "{}";
    private boolean pruning;
    private String polyakVersion = PolyakVersion.version();
    private Map<String, Tensor> prunerState = Map.of();

    private Builder() {}

    public Builder setStep(long step) {
      this.step = step;
      return this;
    }

    public Builder setWeights(Map<String, Tensor> weights) {
      this.weights = weights;
      return this;
    }

    public Builder setRunSpecJson(String runSpecJson) {
      this.runSpecJson = runSpecJson;
      return this;
    }

    /** Default: none. */
    public Builder optOptimizerState(Map<String, Tensor> optimizerState) {
      this.optimizerState = optimizerState;
      return this;
    }

    /** Default: none (a dense model). */
    public Builder optMasks(Map<String, Tensor> masks) {
      this.masks = masks;
      return this;
    }

    /** Default: none. */
    public Builder optRandomCursors(Map<String, Long> randomCursors) {
      this.randomCursors = randomCursors;
      return this;
    }

    /** Default: {@code {}}, no metrics yet. */
    public Builder optMetricsJson(String metricsJson) {
      this.metricsJson = metricsJson;
      return this;
    }

    /** Default: false, a regular periodic checkpoint. */
    public Builder optPruning(boolean pruning) {
      this.pruning = pruning;
      return this;
    }

    /** Default: the running polyak's version. */
    public Builder optPolyakVersion(String polyakVersion) {
      this.polyakVersion = polyakVersion;
      return this;
    }

    /** Default: none. */
    public Builder optPrunerState(Map<String, Tensor> prunerState) {
      this.prunerState = prunerState;
      return this;
    }

    public Checkpoint build() {
      if (step == null || weights == null || runSpecJson == null) {
        throw new IllegalStateException(
            "a checkpoint needs setStep, setWeights and setRunSpecJson");
      }
      return new Checkpoint(
          step,
          weights,
          optimizerState,
          masks,
          randomCursors,
          runSpecJson,
          metricsJson,
          pruning,
          polyakVersion,
          prunerState);
    }
  }
}
