package dev.polyak.summary;

import dev.polyak.BadInputException;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.SummaryRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * summary.avro: one {@link SummaryRecord} per config of a sweep, across its seeds, from runs.avro
 * and one streamed pass over metrics.avro (see the schema's field docs for every figure).
 *
 * <p>The final figures and the dense targets come from runs.avro: each finished run's target is its
 * matched dense run's final eval metric ({@link SweepRuns}). metrics.avro is then read once, record
 * by record, keeping per run only the first step whose eval metric reached its target (lower is
 * better for perplexity, higher for accuracy) and the elapsed seconds there: memory grows with the
 * runs, not with the evaluations, and the order of the rows does not matter. A dense run's target
 * is its own final figure, so its first reach (step and seconds) is the denominator of {@code
 * steps_ratio_to_dense} and {@code seconds_ratio_to_dense}; a dense config's own ratios are 1.
 *
 * <p>{@code pruning_share} is NaN when the finished runs recorded no time at all (or none
 * finished).
 */
public final class SweepSummary {
  private SweepSummary() {}

  /** The summary of the sweep whose report files are in {@code reportDir}, sorted by config. */
  public static List<SummaryRecord> summarize(Path reportDir) {
    return summarize(reportDir, Optional.empty());
  }

  /**
   * The summary of the sweep whose report files are in {@code reportDir}, sorted by config; its
   * early stopping compared with {@code full}, a sweep of the same cells trained to the end, when
   * given ({@link EarlyStoppingSummary}).
   */
  public static List<SummaryRecord> summarize(
      Path reportDir, Optional<EarlyStoppingSummary.FullSweep> full) {
    SweepRuns runs = SweepRuns.read(reportDir);
    Map<String, Progress> progress = progress(runs, reportDir.resolve(ReportFiles.METRICS));
    Map<String, EarlyStoppingSummary.Config> stopping = new HashMap<>();
    EarlyStoppingSummary.read(reportDir, runs.all(), full)
        .forEach(c -> stopping.put(c.config(), c));
    List<SummaryRecord> summary = new ArrayList<>();
    for (String config : runs.byConfig().keySet()) {
      SummaryRecord record = summarize(runs, config, progress);
      if (stopping.containsKey(config)) {
        record.setEarlyStopping(stopping.get(config).toAvro());
      }
      summary.add(record);
    }
    return summary;
  }

  /** Writes {@link #summarize} to {@code <reportDir>/summary.avro} (atomically) and returns it. */
  public static List<SummaryRecord> write(Path reportDir) {
    return write(reportDir, Optional.empty());
  }

  /**
   * Writes {@link #summarize(Path, Optional)} to {@code <reportDir>/summary.avro} (atomically) and
   * returns it.
   */
  public static List<SummaryRecord> write(
      Path reportDir, Optional<EarlyStoppingSummary.FullSweep> full) {
    List<SummaryRecord> summary = summarize(reportDir, full);
    AvroFiles.write(reportDir.resolve(ReportFiles.SUMMARY), SummaryRecord.class, summary);
    return summary;
  }

  /** What one pass over metrics.avro keeps of one run. */
  static final class Progress {
    private final double target;
    private final boolean lowerIsBetter;
    long firstReachStep = -1;
    double firstReachSeconds = Double.NaN;

    Progress(double target, boolean lowerIsBetter) {
      this.target = target;
      this.lowerIsBetter = lowerIsBetter;
    }

    void accept(MetricRow row) {
      long step = row.getStep();
      double metric = row.getEvalMetric();
      boolean reached =
          lowerIsBetter ? metric <= target : metric >= target; // false for a NaN either side
      if (reached && (firstReachStep < 0 || step < firstReachStep)) {
        firstReachStep = step;
        firstReachSeconds = row.getElapsedSeconds();
      }
    }

    boolean reached() {
      return firstReachStep >= 0;
    }
  }

  /**
   * One pass over {@code metrics}: every run's {@link Progress} towards its matched dense run's
   * final eval metric.
   */
  static Map<String, Progress> progress(SweepRuns runs, Path metrics) {
    Map<String, Progress> progress = new HashMap<>();
    for (RunRecord r : runs.all()) {
      double target =
          SweepRuns.finished(r)
              ? runs.matchedDense(r).map(RunRecord::getFinalEvalMetric).orElse(Double.NaN)
              : Double.NaN;
      progress.put(r.getRunId(), new Progress(target, SweepRuns.lowerIsBetter(r.getMetricName())));
    }
    ReportFiles.forEach(
        metrics,
        MetricRow.class,
        row -> {
          Progress p = progress.get(row.getRunId());
          if (p == null) {
            throw new BadInputException(
                metrics
                    + ": a row of run "
                    + row.getRunId()
                    + " (step "
                    + row.getStep()
                    + ") that "
                    + ReportFiles.RUNS
                    + " does not list");
          }
          p.accept(row);
        });
    return progress;
  }

  private static SummaryRecord summarize(
      SweepRuns runs, String config, Map<String, Progress> progress) {
    List<RunRecord> all = runs.runs(config);
    RunRecord first = all.get(0);
    List<RunRecord> finished =
        all.stream().filter(r -> r.getStatus() == RunStatus.FINISHED).toList();

    List<Double> steps = new ArrayList<>();
    List<Double> stepRatios = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    List<Double> secondsRatios = new ArrayList<>();
    int matched = 0;
    for (RunRecord r : finished) {
      Optional<RunRecord> dense = SweepRuns.finished(r) ? runs.matchedDense(r) : Optional.empty();
      if (dense.isEmpty()) {
        continue;
      }
      matched++;
      Progress mine = progress.get(r.getRunId());
      if (!mine.reached()) {
        continue;
      }
      Progress theirs = progress.get(dense.get().getRunId());
      steps.add((double) mine.firstReachStep);
      seconds.add(mine.firstReachSeconds);
      if (theirs.reached() && theirs.firstReachStep > 0) {
        stepRatios.add(mine.firstReachStep / (double) theirs.firstReachStep);
      }
      if (theirs.reached() && theirs.firstReachSeconds > 0) {
        secondsRatios.add(mine.firstReachSeconds / theirs.firstReachSeconds);
      }
    }

    double pruning = 0;
    double total = 0;
    for (RunRecord r : finished) {
      pruning += r.getPruningSeconds();
      total += r.getTrainSeconds() + r.getPruningSeconds();
    }

    String method = first.getMethod();
    Optional<String> denseConfig =
        method.equals(SweepRuns.DENSE) ? Optional.empty() : runs.denseConfig(first.getBaseline());
    return SummaryRecord.newBuilder()
        .setConfig(config)
        .setBaseline(first.getBaseline())
        .setModel(first.getModel())
        .setMethod(method)
        .setRatio(first.getRatio())
        .setMetricName(first.getMetricName())
        .setRuns(all.size())
        .setFinished(finished.size())
        .setDiverged((int) all.stream().filter(r -> r.getStatus() == RunStatus.DIVERGED).count())
        .setFailed((int) all.stream().filter(r -> r.getStatus() == RunStatus.FAILED).count())
        .setPartial((int) all.stream().filter(r -> r.getStatus() == RunStatus.PARTIAL).count())
        .setFinalTrainMetric(SeedStatistics.of(values(finished, RunRecord::getFinalTrainMetric)))
        .setFinalEvalMetric(SeedStatistics.of(values(finished, RunRecord::getFinalEvalMetric)))
        .setFinalEvalLoss(SeedStatistics.of(values(finished, RunRecord::getFinalEvalLoss)))
        .setReachedDense(steps.size())
        .setMatchedDense(matched)
        .setStepsToDense(SeedStatistics.of(array(steps)))
        .setStepsRatioToDense(mean(stepRatios))
        .setSecondsToDense(SeedStatistics.of(array(seconds)))
        .setSecondsRatioToDense(mean(secondsRatios))
        .setVersusDense(denseConfig.map(other -> paired(runs, config, other)).orElse(null))
        .setVersusRandom(
            runs.randomCounterpart(config).map(other -> paired(runs, config, other)).orElse(null))
        .setPruningShare(total > 0 ? pruning / total : Double.NaN)
        .build();
  }

  /**
   * The paired t-test of the final eval metric of {@code config} against {@code other} over the
   * seeds both finished.
   */
  private static dev.polyak.schemas.PairedComparison paired(
      SweepRuns runs, String config, String other) {
    List<Double> mine = new ArrayList<>();
    List<Double> theirs = new ArrayList<>();
    for (RunRecord r : runs.runs(config)) {
      Optional<RunRecord> o = runs.seedRun(other, r.getSeed());
      if (SweepRuns.finished(r) && o.isPresent() && SweepRuns.finished(o.get())) {
        mine.add(r.getFinalEvalMetric());
        theirs.add(o.get().getFinalEvalMetric());
      }
    }
    return SeedStatistics.paired(other, array(mine), array(theirs));
  }

  /** The non-null values of {@code figure} over {@code runs}, in seed order. */
  private static double[] values(List<RunRecord> runs, Function<RunRecord, Double> figure) {
    return runs.stream()
        .map(figure)
        .filter(v -> v != null)
        .mapToDouble(Double::doubleValue)
        .toArray();
  }

  private static double[] array(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static Double mean(List<Double> values) {
    return values.isEmpty() ? null : dev.polyak.diag.SeedSpread.mean(array(values));
  }
}
