package dev.polyak.summary;

import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What early stopping did and saved, per config: the runs stopped at each rung, the steps and
 * training seconds saved against training every run to the end, and Spearman's rank correlation
 * between the signal at each rung and the final eval metric across the runs that finished.
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
   */
  public record Rung(
      long rung, String signal, int reached, int stopped, int correlated, double spearman) {}

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
      List<Rung> rungs) {}

  /** The summary of a report folder; empty when it has no early-stopping decisions. */
  public static List<Config> read(Path reportDir, List<RunRecord> runs) {
    Path file = reportDir.resolve(ReportFiles.EARLY_STOPPING);
    if (!Files.exists(file)) {
      return List.of();
    }
    return of(runs, ReportFiles.readAll(file, RungDecision.class));
  }

  /** Per config with at least one decision, in config order. */
  public static List<Config> of(List<RunRecord> runs, List<RungDecision> decisions) {
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
        List<double[]> pairs = new ArrayList<>();
        for (RungDecision d : at) {
          RunRecord run = byId.get(d.getRunId());
          if (run != null
              && run.getStatus() == RunStatus.FINISHED
              && run.getFinalEvalMetric() != null
              && Double.isFinite(d.getValue())) {
            pairs.add(new double[] {d.getValue(), run.getFinalEvalMetric()});
          }
        }
        rungs.add(
            new Rung(
                rung,
                at.get(0).getSignal(),
                at.size(),
                (int) at.stream().filter(d -> !d.getContinues()).count(),
                pairs.size(),
                pairs.size() < 3
                    ? Double.NaN
                    : spearman(
                        pairs.stream().mapToDouble(p -> p[0]).toArray(),
                        pairs.stream().mapToDouble(p -> p[1]).toArray())));
      }
      configs.add(
          new Config(
              e.getKey(), mine.size(), stoppedNow, toEnd, saved, seconds, List.copyOf(rungs)));
    }
    return configs;
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
