package dev.polyak.sweep;

import dev.polyak.RunFileException;
import dev.polyak.prune.PruningMethod;
import dev.polyak.prune.PruningSchedule;
import dev.polyak.prune.PruningSpec;
import dev.polyak.train.RunSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A sweep's grid and what every cell shares, expanded into cells: each combination of the axes'
 * values (the first axis varying slowest) becomes a run file that {@link RunSpec#parse} validates.
 *
 * @param axes the grid's axes in the order written, the seed axis included (last when the seeds are
 *     given at the top level, a single seed 0 when not given at all)
 * @param common the top-level run-file keys other than seed and pruning
 * @param pruning the top-level {@code pruning:} block: the keys every pruned cell shares (null:
 *     none)
 * @param method the method of every cell when {@code method} is not an axis (null when it is)
 * @param base the folder relative data paths are resolved against (null: left as written)
 */
record Grid(
    List<Axis> axes,
    Map<String, YamlNode> common,
    YamlNode pruning,
    MethodChoice method,
    Path base) {
  /**
   * Keys that may be axes: every run-file key but the pruning block, plus the block's method and
   * ratio.
   */
  static final List<String> AXIS_KEYS =
      Stream.concat(
              RunFile.KEYS.stream().filter(key -> !key.equals("pruning")),
              Stream.of("seeds", "method", "ratio"))
          .toList();

  /** The pruning-block keys of a schedule, which a method's own {@code schedule} replaces. */
  private static final List<String> SCHEDULE_KEYS =
      List.of(
          "schedule",
          "step",
          "ratio",
          "start_epoch",
          "end_epoch",
          "every_epochs",
          "fraction",
          "final_ratio");

  /** Keys every cell needs, at the top level or as an axis. */
  private static final List<String> REQUIRED = List.of("model", "data", "steps");

  static Grid read(YamlNode root, Path base) {
    YamlNode grid = root.get("grid");
    List<Axis> axes = new ArrayList<>();
    if (grid != null) {
      grid.allowOnly(AXIS_KEYS);
      grid.map().forEach((key, node) -> axes.add(Axis.read(key, node)));
    }
    List<YamlNode> seeds =
        Stream.of(
                grid == null ? null : grid.get("seed"),
                grid == null ? null : grid.get("seeds"),
                root.get("seed"),
                root.get("seeds"))
            .filter(Objects::nonNull)
            .toList();
    if (seeds.size() > 1) {
      throw seeds
          .get(1)
          .error(
              "the seeds are already given by "
                  + seeds.get(0).path()
                  + " (line "
                  + seeds.get(0).line()
                  + "); give them once");
    }
    if (seeds.isEmpty()) {
      axes.add(new Axis("seed", List.of(new AxisValue("0", 0L, null))));
    } else if (seeds.get(0).path().startsWith("seed")) {
      axes.add(Axis.read("seed", seeds.get(0)));
    }
    YamlNode pruning = root.get("pruning");
    if (pruning != null) {
      pruning.allowOnly(RunFile.PRUNING_KEYS);
    }
    for (Axis axis : axes) {
      String key = axis.key();
      YamlNode twice =
          key.equals("method") || key.equals("ratio")
              ? (pruning == null ? null : pruning.get(key))
              : key.equals("seed") ? null : root.get(key);
      if (twice != null) {
        throw twice.error("is also a grid axis (grid." + key + "); give it in one place");
      }
    }
    for (String key : REQUIRED) {
      if (root.get(key) == null && axes.stream().noneMatch(axis -> axis.key().equals(key))) {
        throw root.error(
            "every cell needs "
                + String.join(", ", REQUIRED)
                + "; "
                + key
                + " is missing (give it at the top level or as a grid axis)");
      }
    }
    Map<String, YamlNode> common = new LinkedHashMap<>(root.map());
    common.keySet().retainAll(RunFile.KEYS);
    common.keySet().removeAll(List.of("seed", "pruning"));
    return new Grid(
        axes, Collections.unmodifiableMap(common), pruning, commonMethod(axes, pruning), base);
  }

  /** The method of every cell when the grid has no method axis: the pruning block's, else dense. */
  private static MethodChoice commonMethod(List<Axis> axes, YamlNode pruning) {
    if (axes.stream().anyMatch(axis -> axis.key().equals("method"))) {
      return null;
    }
    if (pruning == null) {
      return new MethodChoice(PruningMethod.DENSE, PruningMethod.DENSE.id(), Map.of());
    }
    YamlNode method = pruning.get("method");
    if (method == null) {
      throw pruning.error(
          "no pruning method: give the methods as grid.method, or one as pruning.method");
    }
    return MethodChoice.read(method);
  }

  /**
   * Every cell, in grid order; cells that are the same run (dense cells across ratios) are kept
   * once.
   *
   * @param every the diagnostics' periodic cadence; a cell's run file keeps the checkpoints at its
   *     multiples ({@code keep_every}), and a cadence in steps must be a multiple of each cell's
   *     checkpoint_every
   * @param where the node errors about the cadence point at (unused when there is none)
   */
  List<Cell> cells(DiagnosticsPlan.Every every, YamlNode where) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    int[] at = new int[axes.size()];
    do {
      Map<String, AxisValue> chosen = new LinkedHashMap<>();
      for (int a = 0; a < at.length; a++) {
        chosen.put(axes.get(a).key(), axes.get(a).values().get(at[a]));
      }
      Cell cell = cell(chosen, every, where);
      Cell first = cells.putIfAbsent(cell.runId(), cell);
      if (first != null && !first.labels().equals(cell.labels())) {
        String differs =
            cell.labels().keySet().stream()
                .filter(key -> !cell.labels().get(key).equals(first.labels().get(key)))
                .findFirst()
                .orElseThrow();
        YamlNode node = chosen.get(differs).node();
        throw Objects.requireNonNull(node)
            .error(
                "cell "
                    + words(cell.labels())
                    + " is the same run as cell "
                    + words(first.labels())
                    + " (run id "
                    + cell.runId()
                    + "): data folders, checkpoint_every, keep_last and keep_every do not enter a"
                    + " run id, so the two would share one run folder");
      }
    } while (next(at));
    return List.copyOf(cells.values());
  }

  private boolean next(int[] at) {
    for (int a = at.length - 1; a >= 0; a--) {
      if (++at[a] < axes.get(a).values().size()) {
        return true;
      }
      at[a] = 0;
    }
    return false;
  }

  private Cell cell(Map<String, AxisValue> chosen, DiagnosticsPlan.Every every, YamlNode where) {
    MethodChoice methodHere =
        chosen.containsKey("method") ? (MethodChoice) chosen.get("method").value() : method;
    boolean dense = methodHere.method() == PruningMethod.DENSE;
    Map<String, String> labels = new LinkedHashMap<>();
    chosen.forEach(
        (key, value) -> {
          if (!(dense && key.equals("ratio"))) {
            labels.put(key, value.label());
          }
        });
    Map<String, Object> run = new LinkedHashMap<>();
    for (String key : RunFile.KEYS) {
      run.put(
          key,
          chosen.containsKey(key)
              ? chosen.get(key).value()
              : common.containsKey(key) ? common.get(key).plain() : null);
    }
    if (run.get("data") instanceof String data && base != null) {
      run.put("data", base.resolve(data).normalize().toString());
    }
    run.put("pruning", dense ? null : pruningBlock(methodHere, chosen.get("ratio")));
    String text = RunFile.write(run);
    RunSpec spec = parse(text, chosen, labels);
    long interval = every.interval(spec);
    if (interval % spec.checkpointEvery() != 0) {
      throw where.error(
          interval
              + " is not a multiple of checkpoint_every ("
              + spec.checkpointEvery()
              + ") in cell "
              + words(labels));
    }
    if (interval > 0 && (spec.keepEvery() == 0 || interval % spec.keepEvery() != 0)) {
      // keep_every is no part of a run id: the periodic checkpoints the diagnostics read outlive
      // keep_last
      run.put("keep_every", interval);
      text = RunFile.write(run);
      spec = spec.withKeepEvery(interval);
    }
    // A config always names its model, an axis or not, so that tables and charts say what was
    // trained.
    Map<String, String> config = new LinkedHashMap<>();
    if (!labels.containsKey("model")) {
      config.put("model", spec.model());
    }
    config.putAll(labels);
    config.remove("seed");
    Map<String, String> baseline = new LinkedHashMap<>(config);
    baseline.keySet().removeAll(List.of("method", "ratio"));
    return new Cell(
        spec.runId(),
        words(config),
        words(baseline),
        labels,
        spec.training().seed(),
        spec.pruning().method().id(),
        ratio(spec.pruning()),
        spec.model(),
        text,
        spec);
  }

  /** The cell's pruning block: the shared keys, its method and options, and its ratio. */
  private Map<String, Object> pruningBlock(MethodChoice methodHere, AxisValue ratio) {
    Map<String, Object> block = new LinkedHashMap<>();
    if (pruning != null) {
      pruning.map().forEach((key, value) -> block.put(key, value.plain()));
    }
    if (methodHere.pruning().containsKey("schedule")) {
      block.keySet().removeAll(SCHEDULE_KEYS);
    }
    block.putAll(methodHere.pruning());
    block.put("method", methodHere.method().id());
    if (!methodHere.options().isEmpty()) {
      Map<String, Object> options = new LinkedHashMap<>();
      if (block.get("options") instanceof Map<?, ?> shared) {
        shared.forEach((key, value) -> options.put(String.valueOf(key), value));
      }
      options.putAll(methodHere.options());
      block.put("options", options);
    }
    if (ratio != null) {
      block.put("ratio", ratio.value());
    }
    return block;
  }

  /** The fraction a cell prunes in the end: its one-shot ratio or final ratio, 0 for dense. */
  private static double ratio(PruningSpec pruning) {
    if (!pruning.prunes()) {
      return 0;
    }
    PruningSchedule schedule = pruning.schedule();
    if (schedule instanceof PruningSchedule.OneShot oneShot) {
      return oneShot.ratio();
    }
    if (schedule instanceof PruningSchedule.Linear linear) {
      return linear.finalRatio();
    }
    return ((PruningSchedule.Iterative) schedule).finalRatio();
  }

  /**
   * The cell's RunSpec; its errors name the cell and, where the sweep file sets the key the error
   * is about ({@link RunFileException#key()}), that key's line in the sweep file.
   */
  private RunSpec parse(String text, Map<String, AxisValue> chosen, Map<String, String> labels) {
    try {
      return RunSpec.parse(text, null);
    } catch (RunFileException e) {
      throw attribute(e, chosen, labels);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cell " + words(labels) + ": " + e.getMessage(), e);
    }
  }

  /**
   * A cell's run-file error as the sweep reports it: {@code line N: <sweep key>: cell <labels>:
   * <detail>}, the line found from the error's key alone (without a line where the sweep file does
   * not set that key).
   */
  IllegalArgumentException attribute(
      RunFileException e, Map<String, AxisValue> chosen, Map<String, String> labels) {
    YamlNode node = responsible(e.key(), chosen);
    String cell = "cell " + words(labels) + ": " + e.detail();
    return node == null ? new IllegalArgumentException(cell, e) : node.error(cell);
  }

  /**
   * Where the sweep file sets run-file key {@code key} ({@code steps}, {@code pruning.step}, {@code
   * pruning.options.alpha}) for the cell of these axis values; null where it does not.
   */
  private YamlNode responsible(String key, Map<String, AxisValue> chosen) {
    String[] path = key.split("\\.");
    if (!path[0].equals("pruning")) {
      return chosen.containsKey(path[0]) ? chosen.get(path[0]).node() : common.get(path[0]);
    }
    String sub = path.length > 1 ? path[1] : "method";
    if (sub.equals("options")) {
      // an option is written in the cell's method value, else in the shared pruning.options
      String option = path.length > 2 ? path[2] : "";
      AxisValue methodValue = chosen.get("method");
      YamlNode shared = pruning == null ? null : pruning.get("options");
      if (methodValue != null
          && ((MethodChoice) methodValue.value()).options().containsKey(option)) {
        return methodValue.node();
      }
      if (shared != null && shared.isMap() && shared.get(option) != null) {
        return shared.get(option);
      }
      sub = "method";
    }
    if (chosen.containsKey(sub)) {
      return chosen.get(sub).node();
    }
    if (pruning != null && pruning.get(sub) != null) {
      return pruning.get(sub);
    }
    return chosen.containsKey("method") ? chosen.get("method").node() : pruning;
  }

  /** {@code key=value} pairs joined by spaces. */
  static String words(Map<String, String> labels) {
    return labels.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(" "));
  }
}
