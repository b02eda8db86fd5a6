package dev.polyak.summary;

import dev.polyak.BadInputException;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A sweep's runs.avro, checked and indexed: the runs of each config (sorted by seed), and how
 * configs are matched for the comparisons of summary.avro.
 *
 * <ul>
 *   <li>A run's <b>matched dense run</b> has the same baseline and seed and method {@code dense};
 *       it counts when it FINISHED with a final eval metric. A dense run is its own matched dense
 *       run.
 *   <li>A config's <b>dense config</b> is the config with method {@code dense} and the same
 *       baseline (the first by name, should a sweep hold several).
 *   <li>A config's <b>random counterpart</b> is a config with method {@code random}, the same
 *       baseline and the same ratio: the only one, or else the one whose labels equal this config's
 *       but for method and seed (a schedule or scope axis); none when that still leaves a choice.
 * </ul>
 */
public final class SweepRuns {
  /** The method of unpruned runs. */
  public static final String DENSE = "dense";

  /** The method of the random-pruning sanity baseline. */
  public static final String RANDOM = "random";

  private final SortedMap<String, List<RunRecord>> byConfig;
  private final Map<String, RunRecord> byId;
  private final Map<String, String> denseConfigByBaseline;

  /**
   * (config, seed) → run: matching a run to its dense and random counterparts is a lookup, not a
   * scan.
   */
  private final Map<String, RunRecord> byConfigAndSeed = new java.util.HashMap<>();

  private SweepRuns(SortedMap<String, List<RunRecord>> byConfig, Map<String, RunRecord> byId) {
    this.byConfig = byConfig;
    byConfig
        .values()
        .forEach(
            runs ->
                runs.forEach(
                    r -> byConfigAndSeed.putIfAbsent(r.getConfig() + "\u0000" + r.getSeed(), r)));
    this.byId = byId;
    this.denseConfigByBaseline = new HashMap<>();
    for (Map.Entry<String, List<RunRecord>> e : byConfig.entrySet()) {
      RunRecord first = e.getValue().get(0);
      if (first.getMethod().equals(DENSE)) {
        denseConfigByBaseline.putIfAbsent(first.getBaseline(), e.getKey()); // configs come sorted
      }
    }
  }

  /** {@code <reportDir>/runs.avro}, checked as {@link #of} does. */
  public static SweepRuns read(Path reportDir) {
    Path file = reportDir.resolve(ReportFiles.RUNS);
    return of(file, ReportFiles.readAll(file, RunRecord.class));
  }

  /**
   * Indexes {@code runs} (read from {@code file}, which error messages name).
   *
   * @throws BadInputException if there is no run, a run_id appears twice, a config has two runs of
   *     one seed or runs that disagree on baseline, model, method, ratio or metric, or a metric is
   *     neither perplexity nor accuracy
   */
  public static SweepRuns of(Path file, List<RunRecord> runs) {
    if (runs.isEmpty()) {
      throw new BadInputException(file + ": no runs");
    }
    Map<String, RunRecord> byId = new HashMap<>();
    SortedMap<String, List<RunRecord>> byConfig = new TreeMap<>();
    for (RunRecord r : runs) {
      if (byId.put(r.getRunId(), r) != null) {
        throw new BadInputException(file + ": run " + r.getRunId() + " appears twice");
      }
      lowerIsBetter(r.getMetricName(), file);
      byConfig.computeIfAbsent(r.getConfig(), c -> new ArrayList<>()).add(r);
    }
    for (List<RunRecord> configRuns : byConfig.values()) {
      configRuns.sort(Comparator.comparingLong(RunRecord::getSeed));
      RunRecord first = configRuns.get(0);
      for (int i = 1; i < configRuns.size(); i++) {
        RunRecord r = configRuns.get(i);
        if (r.getSeed() == configRuns.get(i - 1).getSeed()) {
          throw new BadInputException(
              file + ": config '" + r.getConfig() + "' has two runs of seed " + r.getSeed());
        }
        if (!r.getBaseline().equals(first.getBaseline())
            || !r.getModel().equals(first.getModel())
            || !r.getMethod().equals(first.getMethod())
            || r.getRatio() != first.getRatio()
            || !r.getMetricName().equals(first.getMetricName())) {
          throw new BadInputException(
              file
                  + ": runs "
                  + first.getRunId()
                  + " and "
                  + r.getRunId()
                  + " of config '"
                  + r.getConfig()
                  + "' disagree on baseline, model, method, ratio or metric");
        }
      }
    }
    return new SweepRuns(byConfig, byId);
  }

  /** Whether lower values of {@code metricName} are better: perplexity yes, accuracy no. */
  public static boolean lowerIsBetter(String metricName) {
    return lowerIsBetter(metricName, null);
  }

  private static boolean lowerIsBetter(String metricName, Path file) {
    return switch (metricName) {
      case "perplexity" -> true;
      case "accuracy" -> false;
      default ->
          throw new BadInputException(
              (file == null ? "" : file + ": ")
                  + "unknown metric '"
                  + metricName
                  + "' (perplexity or accuracy)");
    };
  }

  /** The configs, sorted by name, each with its runs sorted by seed. */
  public SortedMap<String, List<RunRecord>> byConfig() {
    return java.util.Collections.unmodifiableSortedMap(byConfig);
  }

  /** The runs of {@code config}, sorted by seed (empty for an unknown config). */
  public List<RunRecord> runs(String config) {
    return byConfig.getOrDefault(config, List.of());
  }

  /** Every run, by config then seed. */
  public List<RunRecord> all() {
    return byConfig.values().stream().flatMap(List::stream).toList();
  }

  public Optional<RunRecord> run(String runId) {
    return Optional.ofNullable(byId.get(runId));
  }

  /** Whether {@code run} finished with a final eval metric: the runs statistics are over. */
  public static boolean finished(RunRecord run) {
    return run.getStatus() == RunStatus.FINISHED && run.getFinalEvalMetric() != null;
  }

  /** The dense config of {@code baseline}. */
  public Optional<String> denseConfig(String baseline) {
    return Optional.ofNullable(denseConfigByBaseline.get(baseline));
  }

  /**
   * The finished dense run of {@code run}'s baseline and seed ({@code run} itself when it is dense
   * and finished).
   */
  public Optional<RunRecord> matchedDense(RunRecord run) {
    return denseConfig(run.getBaseline())
        .flatMap(dense -> seedRun(dense, run.getSeed()))
        .filter(SweepRuns::finished);
  }

  /** The run of {@code config} with {@code seed}. */
  public Optional<RunRecord> seedRun(String config, long seed) {
    return Optional.ofNullable(byConfigAndSeed.get(config + "\u0000" + seed));
  }

  /**
   * The random counterpart of {@code config} (see the class comment); empty for dense and random
   * configs.
   */
  public Optional<String> randomCounterpart(String config) {
    List<RunRecord> mine = runs(config);
    if (mine.isEmpty()) {
      return Optional.empty();
    }
    RunRecord me = mine.get(0);
    if (me.getMethod().equals(DENSE) || me.getMethod().equals(RANDOM)) {
      return Optional.empty();
    }
    List<String> candidates = new ArrayList<>();
    for (Map.Entry<String, List<RunRecord>> e : byConfig.entrySet()) {
      RunRecord other = e.getValue().get(0);
      if (other.getMethod().equals(RANDOM)
          && other.getBaseline().equals(me.getBaseline())
          && other.getRatio() == me.getRatio()) {
        candidates.add(e.getKey());
      }
    }
    if (candidates.size() <= 1) {
      return candidates.stream().findFirst();
    }
    Map<String, String> myAxes = otherAxes(me);
    List<String> same =
        candidates.stream().filter(c -> otherAxes(runs(c).get(0)).equals(myAxes)).toList();
    return same.size() == 1 ? Optional.of(same.get(0)) : Optional.empty();
  }

  private static Map<String, String> otherAxes(RunRecord run) {
    Map<String, String> axes = new TreeMap<>(run.getLabels());
    axes.remove("seed");
    axes.remove("method");
    return axes;
  }
}
