package dev.polyak.prune;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.polyak.RunFileException;
import dev.polyak.nn.Structure;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A run's pruning, as the {@code pruning:} block of a run file gives it: the method, the structure
 * kinds it may prune, the schedule, the structures every layer keeps, the scoring samples and the
 * method's options. {@code dense} prunes nothing and needs no other key. Everything here decides
 * the trajectory, so {@link #canonical()} goes into the run id (and a dense run has the id of a run
 * without the block). A refused value is a {@code RunFileException} naming its {@code pruning.}
 * key.
 *
 * <p>The block, with an example: docs/design/pruning.md.
 *
 * @param method the pruning method
 * @param scope the structure kinds that may be pruned
 * @param schedule when and how much
 * @param minPerLayer at least this many structures of the scope stay in every layer
 * @param scoringSamples training samples the scores are computed on
 * @param scoringBatch samples per batch when a method goes over them
 * @param options the method's hyperparameters as given (the method validates and fills defaults)
 * @param allocation how the schedule's target is shared among the scope's layers
 * @param compact whether an event slices the pruned structures out of the tensors ({@code
 *     dev.polyak.nn.Compaction}), so that they cost no time; false keeps them, masked. Weight-level
 *     masks are never compacted.
 */
public record PruningSpec(
    PruningMethod method,
    Set<Structure.Kind> scope,
    PruningSchedule schedule,
    int minPerLayer,
    int scoringSamples,
    int scoringBatch,
    Map<String, Object> options,
    Allocation allocation,
    boolean compact) {

  public PruningSpec {
    scope = scope.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scope));
    // also without an options block: the saved spec, read back, has an empty one and must hash the
    // same
    options =
        java.util.Collections.unmodifiableMap(
            withKernel(method, options == null ? Map.of() : options));
    if (minPerLayer < 0) {
      throw new RunFileException(
          "pruning.min_per_layer", "pruning.min_per_layer must be >= 0, got " + minPerLayer);
    }
    if (scoringSamples < 1 || scoringBatch < 1) {
      throw new RunFileException(
          scoringSamples < 1 ? "pruning.scoring_samples" : "pruning.scoring_batch",
          "pruning.scoring_samples and pruning.scoring_batch must be >= 1, got "
              + scoringSamples
              + " and "
              + scoringBatch);
    }
    if (method != PruningMethod.DENSE && scope.isEmpty()) {
      throw new RunFileException(
          "pruning.scope", "pruning.scope must name at least one structure kind");
    }
    if (scope.contains(Structure.Kind.WEIGHT)) {
      WeightScope.check(method, scope);
    }
    if (method == PruningMethod.CHIP && !scope.equals(Set.of(Structure.Kind.FILTER))) {
      throw new IllegalArgumentException(
          "pruning.scope: chip scores convolution filters by their feature maps, so its"
              + " scope must be [filters], got "
              + scope.stream().map(PruningSpec::kindName).sorted().toList());
    }
    if (method == PruningMethod.DPFPS && !scope.equals(Set.of(Structure.Kind.FILTER))) {
      throw new RunFileException(
          "pruning.scope",
          "pruning.scope: dpfps prunes convolution filters (with the next layer's channels), so"
              + " its scope must be [filters], got "
              + scope.stream().map(PruningSpec::kindName).sorted().toList());
    }
    allocation.check(scope, schedule);
  }

  /**
   * The options with a kernel method's kernel spelled out (default pntk), so that the run id of a
   * kappa-rank or pl-gate run names its kernel: the default was the loss kernel before there was a
   * choice, and a run of it must not share an id with a pntk run.
   */
  private static Map<String, Object> withKernel(PruningMethod method, Map<String, Object> options) {
    Map<String, Object> all = new TreeMap<>(method == null ? options : method.spelledOut(options));
    if (method != null) {
      method.kernel(options).ifPresent(kernel -> all.put("kernel", kernel.toString()));
    }
    return all;
  }

  /** No pruning. */
  public static PruningSpec dense() {
    return new PruningSpec(
        PruningMethod.DENSE,
        Set.of(),
        new PruningSchedule.OneShot(0, 0),
        1,
        1,
        1,
        Map.of(),
        Allocation.GLOBAL,
        true);
  }

  public boolean prunes() {
    return method != PruningMethod.DENSE;
  }

  /** The {@code pruning:} block's keys, as written (null = not set). */
  public record File(
      @JsonProperty(value = "method", required = true) String method,
      @JsonProperty("scope") List<String> scope,
      @JsonProperty("schedule") String schedule,
      @JsonProperty("step") Long step,
      @JsonProperty("ratio") Double ratio,
      @JsonProperty("start_epoch") Integer startEpoch,
      @JsonProperty("end_epoch") Integer endEpoch,
      @JsonProperty("every_epochs") Integer everyEpochs,
      @JsonProperty("fraction") Double fraction,
      @JsonProperty("final_ratio") Double finalRatio,
      @JsonProperty("allocation") String allocation,
      @JsonProperty("min_per_layer") Integer minPerLayer,
      @JsonProperty("scoring_samples") Integer scoringSamples,
      @JsonProperty("scoring_batch") Integer scoringBatch,
      @JsonProperty("compact") Boolean compact,
      @JsonProperty("options") Map<String, Object> options) {}

  /**
   * The spec a {@code pruning:} block describes.
   *
   * @param defaultScope the model's natural structures (heads for BERT, experts for Switch, ...);
   *     snip, grasp and lth on filters default to single weights instead ({@link
   *     WeightScope#defaultFor})
   * @throws IllegalArgumentException naming the {@code pruning.} key that is wrong and what is
   *     allowed
   */
  public static PruningSpec of(File f, Set<Structure.Kind> defaultScope) {
    return of(f, defaultScope, null);
  }

  /**
   * The spec a {@code pruning:} block describes for model preset {@code model} (which decides
   * chip's default allocation, {@link Allocation#defaultFor}).
   */
  public static PruningSpec of(File f, Set<Structure.Kind> defaultScope, String model) {
    PruningMethod method = PruningMethod.of(f.method());
    if (method == PruningMethod.DENSE) {
      return dense();
    }
    Set<Structure.Kind> scope =
        f.scope() == null ? WeightScope.defaultFor(method, defaultScope) : kinds(f.scope());
    String type = f.schedule() == null ? "one-shot" : f.schedule();
    PruningSchedule schedule =
        switch (type) {
          case "one-shot" -> {
            only(type, f, "step", "ratio");
            yield new PruningSchedule.OneShot(
                required(f.step(), "step", type), required(f.ratio(), "ratio", type));
          }
          case "linear" -> {
            only(type, f, "start_epoch", "end_epoch", "final_ratio");
            yield new PruningSchedule.Linear(
                required(f.startEpoch(), "start_epoch", type),
                required(f.endEpoch(), "end_epoch", type),
                required(f.finalRatio(), "final_ratio", type));
          }
          case "iterative" -> {
            only(type, f, "every_epochs", "fraction", "final_ratio");
            yield new PruningSchedule.Iterative(
                required(f.everyEpochs(), "every_epochs", type),
                required(f.fraction(), "fraction", type),
                required(f.finalRatio(), "final_ratio", type));
          }
          default ->
              throw new RunFileException(
                  "pruning.schedule",
                  "pruning.schedule must be one of one-shot, linear,"
                      + " iterative, got '"
                      + type
                      + "'");
        };
    Allocation allocation =
        f.allocation() == null
            ? Allocation.defaultFor(method, scope, model, schedule)
            : Allocation.of(f.allocation());
    PruningSpec spec =
        new PruningSpec(
            method,
            scope,
            schedule,
            or(f.minPerLayer(), 1),
            or(f.scoringSamples(), 64),
            or(f.scoringBatch(), 16),
            f.options(),
            allocation,
            or(f.compact(), true));
    method.validate(spec.options());
    return spec;
  }

  /**
   * What decides the trajectory, for the run id: sorted keys, schedule by type and fields. A global
   * allocation is left out, so the ids of runs made before allocation existed (all global) stay.
   */
  public Map<String, Object> canonical() {
    Map<String, Object> fields = new TreeMap<>();
    fields.put("method", method.id());
    fields.put("scope", scope.stream().map(PruningSpec::kindName).sorted().toList());
    fields.put("schedule", schedule.fields());
    fields.put("min_per_layer", minPerLayer);
    fields.put("scoring_samples", scoringSamples);
    fields.put("scoring_batch", scoringBatch);
    fields.put("options", new TreeMap<>(options));
    if (allocation != Allocation.GLOBAL) {
      fields.put("allocation", allocation.id());
    }
    // left out when on (the default), so the ids of runs made before compaction existed stay
    if (!compact) {
      fields.put("compact", false);
    }
    return fields;
  }

  /**
   * The run file's {@code pruning:} block of a {@link #canonical()} map (as saved in {@code
   * run.json} and checkpoints): the schedule's type and fields become the block's {@code schedule}
   * and keys; a missing allocation is written as {@code global}, what the canonical map leaves out.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> runFileBlock(Map<String, Object> canonical) {
    Map<String, Object> block = new java.util.LinkedHashMap<>(canonical);
    if (!PruningMethod.DENSE.id().equals(block.get("method"))) {
      block.putIfAbsent("allocation", Allocation.GLOBAL.id());
    }
    Object schedule = block.remove("schedule");
    if (schedule instanceof Map<?, ?> fields) {
      ((Map<String, Object>) fields)
          .forEach((key, value) -> block.put(key.equals("type") ? "schedule" : key, value));
    }
    return block;
  }

  /** {@code heads} for {@link Structure.Kind#HEAD}, and so on: the plural a run file uses. */
  public static String kindName(Structure.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT) + "s";
  }

  private static Set<Structure.Kind> kinds(List<String> names) {
    Set<Structure.Kind> kinds = EnumSet.noneOf(Structure.Kind.class);
    for (String name : names) {
      Structure.Kind kind = null;
      for (Structure.Kind k : Structure.Kind.values()) {
        if (kindName(k).equals(name)) {
          kind = k;
        }
      }
      if (kind == null) {
        throw new RunFileException(
            "pruning.scope",
            "pruning.scope: unknown structure kind '"
                + name
                + "'; allowed: "
                + java.util.Arrays.stream(Structure.Kind.values())
                    .map(PruningSpec::kindName)
                    .collect(Collectors.joining(", ")));
      }
      kinds.add(kind);
    }
    return kinds;
  }

  /** Refuses keys of another schedule type: a linear schedule with a {@code step} was a mistake. */
  private static void only(String type, File f, String... allowed) {
    Map<String, Object> given = new LinkedHashMap<>();
    given.put("step", f.step());
    given.put("ratio", f.ratio());
    given.put("start_epoch", f.startEpoch());
    given.put("end_epoch", f.endEpoch());
    given.put("every_epochs", f.everyEpochs());
    given.put("fraction", f.fraction());
    given.put("final_ratio", f.finalRatio());
    Set<String> ok = Set.of(allowed);
    for (Map.Entry<String, Object> e : given.entrySet()) {
      if (e.getValue() != null && !ok.contains(e.getKey())) {
        throw new RunFileException(
            "pruning." + e.getKey(),
            "pruning."
                + e.getKey()
                + " does not belong to a "
                + type
                + " schedule, which takes "
                + String.join(", ", allowed));
      }
    }
  }

  private static <T> T required(T value, String key, String type) {
    if (value == null) {
      throw new RunFileException("pruning." + key, "a " + type + " schedule needs pruning." + key);
    }
    return value;
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
