package dev.polyak.summary;

import dev.polyak.BadInputException;
import dev.polyak.schemas.EarlyStoppingStats;
import dev.polyak.schemas.FullSweepComparison;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import dev.polyak.schemas.RungStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What early stopping did and saved, per config: the runs stopped at each rung, the steps and
 * training seconds saved against training every run to the end, and Spearman's rank correlation
 * between the signal at each rung and the final eval metric across the runs that finished.
 *
 * <p>Given a {@link FullSweep} (the same cells trained to the end without early stopping: the same
 * run ids), also per config the best seed of the full sweep and whether early stopping let it
 * through, and per rung the correlation of the signal with the final metric the same runs reached
 * in the full sweep: over every run that reached the rung, the stopped ones included, where the
 * sweep's own correlation has only its survivors.
 */
public final class EarlyStoppingSummary {
  private EarlyStoppingSummary() {}

  /**
   * One rung of one config.
   *
   * @param reached runs with a decision at the rung
   * @param stopped runs stopped there (a run {@code --rerun-stopped} later resumed counts too)
   * @param correlated finished runs with a signal at the rung: the n of {@code spearman}
   * @param spearman rank correlation of the signal with the final eval metric over them; NaN below
   *     3 runs or when either side is constant
   * @param fullCorrelated runs with a signal at the rung that finished in the full sweep (0 without
   *     one)
   * @param fullSpearman rank correlation of their signal with their final eval metric in the full
   *     sweep; NaN without a full sweep, below 3 runs or when either side is constant
   */
  public record Rung(
      long rung,
      String signal,
      int reached,
      int stopped,
      int correlated,
      double spearman,
      int fullCorrelated,
      double fullSpearman) {}

  /**
   * The config's best seed in the full sweep.
   *
   * @param matched the config's runs that finished in the full sweep
   * @param survived true: it finished in this sweep and no rung stopped it; false: a rung stopped
   *     it; empty: no outcome yet in this sweep
   * @param stoppedAtRung the first rung whose decision stopped it
   */
  public record Best(
      String folder,
      int matched,
      String runId,
      long seed,
      double finalEvalMetric,
      Optional<Boolean> survived,
      Optional<Long> stoppedAtRung) {}

  /**
   * A sweep of the same cells trained to the end: its runs by run id.
   *
   * @param folder the folder as the user gave it
   */
  public record FullSweep(String folder, Map<String, RunRecord> runs) {
    public FullSweep {
      runs = Map.copyOf(runs);
    }

    /**
     * Reads {@code reportFolder}'s runs.avro.
     *
     * @param folder the full sweep's folder, as given (recorded and named in errors)
     * @throws BadInputException when runs.avro is missing or damaged, or some run of it was stopped
     *     early (not a full sweep)
     */
    public static FullSweep read(Path folder, Path reportFolder) {
      Path file = reportFolder.resolve(ReportFiles.RUNS);
      if (!Files.isRegularFile(file)) {
        throw new BadInputException(
            file
                + ": no such file (the full sweep must be a sweep folder whose job has ended: train"
                + " the same cells without early_stopping to the end first)");
      }
      List<RunRecord> runs = ReportFiles.readAll(file, RunRecord.class);
      for (RunRecord r : runs) {
        if (r.getStatus() == RunStatus.STOPPED) {
          throw new BadInputException(
              file
                  + ": not a full sweep: run "
                  + r.getRunId()
                  + " ("
                  + r.getConfig()
                  + " seed "
                  + r.getSeed()
                  + ") was stopped early at rung "
                  + r.getStoppedAtRung()
                  + "; give a sweep of the same cells trained to the end");
        }
      }
      return new FullSweep(
          folder.toString(),
          runs.stream()
              .collect(Collectors.toMap(RunRecord::getRunId, Function.identity(), (a, b) -> b)));
    }
  }

  /**
   * One config.
   *
   * @param runs its runs
   * @param stoppedNow runs whose status is STOPPED
   * @param stepsToEnd the steps of training every run to the end
   * @param stepsSaved the steps the STOPPED runs did not train
   * @param secondsSaved those steps at each stopped run's own mean step time
   */
  public record Config(
      String config,
      int runs,
      int stoppedNow,
      long stepsToEnd,
      long stepsSaved,
      double secondsSaved,
      List<Rung> rungs,
      Optional<Best> best) {

    /** As summary.avro's {@code early_stopping} field. */
    public EarlyStoppingStats toAvro() {
      return EarlyStoppingStats.newBuilder()
          .setStopped(stoppedNow)
          .setStepsToEnd(stepsToEnd)
          .setStepsSaved(stepsSaved)
          .setSecondsSaved(secondsSaved)
          .setRungs(
              rungs.stream()
                  .map(
                      r ->
                          RungStats.newBuilder()
                              .setRung(r.rung())
                              .setSignal(r.signal())
                              .setReached(r.reached())
                              .setStopped(r.stopped())
                              .setCorrelated(r.correlated())
                              .setSpearman(orNull(r.spearman()))
                              .setFullCorrelated(r.fullCorrelated())
                              .setFullSpearman(orNull(r.fullSpearman()))
                              .build())
                  .toList())
          .setFullSweep(
              best.map(
                      b ->
                          FullSweepComparison.newBuilder()
                              .setFolder(b.folder())
                              .setMatched(b.matched())
                              .setBestRunId(b.runId())
                              .setBestSeed(b.seed())
                              .setBestFinalEvalMetric(b.finalEvalMetric())
                              .setBestSurvived(b.survived().orElse(null))
                              .setBestStoppedAtRung(b.stoppedAtRung().orElse(null))
                              .build())
                  .orElse(null))
          .build();
    }
  }

  private static Double orNull(double value) {
    return Double.isNaN(value) ? null : value;
  }

  /**
   * The summary of a report folder, compared with {@code full} when given; empty when it has no
   * early-stopping decisions.
   */
  public static List<Config> read(Path reportDir, List<RunRecord> runs, Optional<FullSweep> full) {
    Path file = reportDir.resolve(ReportFiles.EARLY_STOPPING);
    if (!Files.exists(file)) {
      return List.of();
    }
    return of(runs, ReportFiles.readAll(file, RungDecision.class), full);
  }

  /** Per config with at least one decision, in config order, without a full sweep. */
  public static List<Config> of(List<RunRecord> runs, List<RungDecision> decisions) {
    return of(runs, decisions, Optional.empty());
  }

  /**
   * Per config with at least one decision, in config order; compared with {@code full} when given.
   *
   * @throws BadInputException when {@code full} holds none of these runs (not the same cells)
   */
  public static List<Config> of(
      List<RunRecord> runs, List<RungDecision> decisions, Optional<FullSweep> full) {
    if (full.isPresent()
        && runs.stream().noneMatch(r -> full.get().runs().containsKey(r.getRunId()))) {
      throw new BadInputException(
          full.get().folder()
              + ": holds none of this sweep's runs (a full sweep has the same cells, so the same run"
              + " ids: the same sweep file without early_stopping)");
    }
    Map<String, List<RungDecision>> byConfig = new TreeMap<>();
    for (RungDecision d : decisions) {
      byConfig.computeIfAbsent(d.getConfig(), c -> new ArrayList<>()).add(d);
    }
    List<Config> configs = new ArrayList<>();
    for (Map.Entry<String, List<RungDecision>> e : byConfig.entrySet()) {
      List<RunRecord> mine = runs.stream().filter(r -> r.getConfig().equals(e.getKey())).toList();
      Map<String, RunRecord> byId = new HashMap<>();
      mine.forEach(r -> byId.put(r.getRunId(), r));
      long toEnd = 0;
      long saved = 0;
      double seconds = 0;
      int stoppedNow = 0;
      for (RunRecord r : mine) {
        toEnd += r.getSteps();
        if (r.getStatus() == RunStatus.STOPPED && r.getStoppedAtRung() != null) {
          stoppedNow++;
          long left = r.getSteps() - r.getStoppedAtRung();
          saved += left;
          if (r.getLastGoodStep() > 0) {
            seconds += left * r.getTrainSeconds() / r.getLastGoodStep();
          }
        }
      }
      List<Rung> rungs = new ArrayList<>();
      for (long rung : new TreeSet<>(e.getValue().stream().map(RungDecision::getRung).toList())) {
        List<RungDecision> at = e.getValue().stream().filter(d -> d.getRung() == rung).toList();
        List<double[]> pairs = pairs(at, byId);
        List<double[]> fullPairs = full.map(f -> pairs(at, f.runs())).orElseGet(ArrayList::new);
        rungs.add(
            new Rung(
                rung,
                at.get(0).getSignal(),
                at.size(),
                (int) at.stream().filter(d -> !d.getContinues()).count(),
                pairs.size(),
                spearman(pairs),
                fullPairs.size(),
                spearman(fullPairs)));
      }
      configs.add(
          new Config(
              e.getKey(),
              mine.size(),
              stoppedNow,
              toEnd,
              saved,
              seconds,
              List.copyOf(rungs),
              full.flatMap(f -> best(f, mine, e.getValue()))));
    }
    return configs;
  }

  /**
   * (signal at the rung, final eval metric) of the decided runs that finished in {@code runs}, with
   * a finite signal.
   */
  private static List<double[]> pairs(List<RungDecision> at, Map<String, RunRecord> runs) {
    List<double[]> pairs = new ArrayList<>();
    for (RungDecision d : at) {
      RunRecord run = runs.get(d.getRunId());
      if (run != null && SweepRuns.finished(run) && Double.isFinite(d.getValue())) {
        pairs.add(new double[] {d.getValue(), run.getFinalEvalMetric()});
      }
    }
    return pairs;
  }

  /** Spearman's ρ of the pairs; NaN below 3. */
  private static double spearman(List<double[]> pairs) {
    return pairs.size() < 3
        ? Double.NaN
        : spearman(
            pairs.stream().mapToDouble(p -> p[0]).toArray(),
            pairs.stream().mapToDouble(p -> p[1]).toArray());
  }

  /**
   * The best of {@code mine} in the full sweep (the best final eval metric among those that
   * finished there, the lower seed on a tie) and what early stopping did to it here; empty when
   * none of them finished there.
   */
  private static Optional<Best> best(
      FullSweep full, List<RunRecord> mine, List<RungDecision> decisions) {
    List<RunRecord> finished =
        mine.stream()
            .map(r -> full.runs().get(r.getRunId()))
            .filter(r -> r != null && SweepRuns.finished(r))
            .toList();
    if (finished.isEmpty()) {
      return Optional.empty();
    }
    boolean lower = SweepRuns.lowerIsBetter(finished.get(0).getMetricName());
    Comparator<RunRecord> better =
        Comparator.comparing(
                (RunRecord r) -> lower ? r.getFinalEvalMetric() : -r.getFinalEvalMetric())
            .thenComparing(RunRecord::getSeed);
    RunRecord best = finished.stream().min(better).orElseThrow();
    Optional<Long> stoppedAt =
        decisions.stream()
            .filter(d -> d.getRunId().equals(best.getRunId()) && !d.getContinues())
            .map(RungDecision::getRung)
            .min(Long::compare);
    RunRecord here =
        mine.stream().filter(r -> r.getRunId().equals(best.getRunId())).findFirst().orElseThrow();
    Optional<Boolean> survived =
        stoppedAt.isPresent()
            ? Optional.of(false)
            : here.getStatus() == RunStatus.FINISHED ? Optional.of(true) : Optional.empty();
    return Optional.of(
        new Best(
            full.folder(),
            finished.size(),
            best.getRunId(),
            best.getSeed(),
            best.getFinalEvalMetric(),
            survived,
            stoppedAt));
  }

  /**
   * Spearman's ρ: Pearson's correlation of the ranks, tied values sharing their mean rank; NaN when
   * either side is constant.
   */
  public static double spearman(double[] x, double[] y) {
    double[] rx = ranks(x);
    double[] ry = ranks(y);
    double mx = Arrays.stream(rx).average().orElse(Double.NaN);
    double my = Arrays.stream(ry).average().orElse(Double.NaN);
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < rx.length; i++) {
      sxy += (rx[i] - mx) * (ry[i] - my);
      sxx += (rx[i] - mx) * (rx[i] - mx);
      syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
  }

  /** 1-based ranks, ascending, ties at their mean rank. */
  static double[] ranks(double[] values) {
    Integer[] order = new Integer[values.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
    double[] ranks = new double[values.length];
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && values[order[j + 1]] == values[order[i]]) {
        j++;
      }
      double mean = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        ranks[order[k]] = mean;
      }
      i = j + 1;
    }
    return ranks;
  }
}
