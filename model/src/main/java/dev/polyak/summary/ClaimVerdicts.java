package dev.polyak.summary;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.diag.SeedSpread;
import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.ClaimVerdict;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.sweep.Claim;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.math3.distribution.FDistribution;

/**
 * claims.avro: the verdict on each claim of a sweep file ({@link Claim}) from the report folder's
 * Avro files alone. Only FINISHED runs with a final metric count, as in summary.avro.
 *
 * <p>Per claim, each run of the config is paired with the run of the against configuration it is
 * compared with ({@link Claim#paired}); a pair counts when both runs have the statistic. The
 * estimate is the mean of the paired differences config − against, its 95 % interval the paired t
 * interval mean ± t(0.975; n − 1) s / √n ({@link SeedStatistics#tQuantile}). {@code seed_spread}
 * compares the sample standard deviations of the final metric over the seeds both configs finished:
 * the estimate is their ratio config / against and its interval √(F / F(0.975; n − 1, n − 1)) to
 * √(F / F(0.025; n − 1, n − 1)) with F the ratio of variances (the F interval, which treats the two
 * configs' runs as independent samples from normal distributions).
 *
 * <p>The verdict: SUPPORTED when the interval lies entirely on the claimed side of no difference (0
 * for a difference, 1 for a ratio), CONTRADICTED when entirely on the other side, else INCONCLUSIVE
 * (at this scale), which it also is with fewer than two pairs: no interval.
 *
 * <p>{@code kappa_jump} and {@code trace_jump} read the whole-model (MODEL) rows: a run with a
 * pruning event takes the rows of the checkpoints just before and just after its first event
 * (prune_events.avro names them), else its last row before and first row after the event's step; a
 * run without an event (dense) takes its last row at or before its partner's "before" step and its
 * first at or after the partner's "after" step, so that both runs are measured over the same steps.
 */
public final class ClaimVerdicts {
  private static final String DIFFERENCE = "mean paired difference config - against";
  private static final String RATIO = "ratio of standard deviations config / against";

  private ClaimVerdicts() {}

  /**
   * Writes the verdicts on {@code claims} to {@code <reportDir>/claims.avro} (atomically) and
   * returns them; without claims, deletes a claims.avro left there and returns none.
   */
  public static List<ClaimRecord> write(Path reportDir, List<Claim> claims) {
    Path file = reportDir.resolve(ReportFiles.CLAIMS);
    if (claims.isEmpty()) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the stale " + file, e);
      }
      return List.of();
    }
    List<ClaimRecord> records = evaluate(reportDir, claims);
    AvroFiles.write(file, ClaimRecord.class, records);
    return records;
  }

  /** The verdicts on {@code claims} from the report files in {@code reportDir}, in claim order. */
  public static List<ClaimRecord> evaluate(Path reportDir, List<Claim> claims) {
    Sources sources = new Sources(reportDir, SweepRuns.read(reportDir));
    List<ClaimRecord> records = new ArrayList<>();
    for (Claim claim : claims) {
      records.add(sources.verdict(claim));
    }
    return records;
  }

  /**
   * The verdict from a sample: {@code estimate} with interval [{@code low}, {@code high}] (null
   * without one) against {@code reference}, for a claim in {@code direction}.
   */
  static ClaimVerdict verdict(
      Double low, Double high, double reference, Claim.Direction direction) {
    if (low == null || high == null) {
      return ClaimVerdict.INCONCLUSIVE;
    }
    boolean below = high < reference;
    boolean above = low > reference;
    if (!below && !above) {
      return ClaimVerdict.INCONCLUSIVE;
    }
    return below == (direction == Claim.Direction.LOWER)
        ? ClaimVerdict.SUPPORTED
        : ClaimVerdict.CONTRADICTED;
  }

  /** A run's statistic, or why it has none. */
  private record Value(Double value, String missing) {
    static Value of(double value) {
      return new Value(value, null);
    }

    static Value none(String why) {
      return new Value(null, why);
    }
  }

  /** A whole-model figure's change over a pruning event, and the steps it was read at. */
  private record Jump(Value value, long beforeStep, long afterStep) {}

  /** A run's first pruning event. */
  private record Event(long step, String checkpointBefore, String checkpointAfter) {}

  /** A MODEL row's figures. */
  private record ModelRow(
      long step, String checkpoint, double kappa, boolean singular, Double trace) {}

  /** The report files, each read once, and only when a claim needs it. */
  private static final class Sources {
    private final Path reportDir;
    private final SweepRuns runs;
    private final Map<Long, Map<String, Double>> metricAtStep = new HashMap<>();
    private Map<String, SweepSummary.Progress> progress;
    private Map<String, Event> events;
    private Map<String, List<ModelRow>> modelRows;

    Sources(Path reportDir, SweepRuns runs) {
      this.reportDir = reportDir;
      this.runs = runs;
    }

    ClaimRecord verdict(Claim claim) {
      List<RunRecord> mine = new ArrayList<>();
      List<RunRecord> theirs = new ArrayList<>();
      for (RunRecord r : runs.all()) {
        Map<String, String> labels = labels(r);
        if (claim.inConfig(labels)) {
          mine.add(r);
        } else if (claim.inAgainst(labels)) {
          theirs.add(r);
        }
      }
      ClaimRecord.Builder record =
          ClaimRecord.newBuilder()
              .setId(claim.id())
              .setText(claim.text())
              .setPaper(claim.paper())
              .setStatistic(claim.statisticName())
              .setConfigSelector(Claim.words(claim.config()))
              .setAgainstSelector(Claim.words(claim.against()))
              .setConfigs(configs(mine))
              .setAgainstConfigs(configs(theirs))
              .setDirection(claim.direction().id())
              .setUnit(unit(claim, mine, theirs));
      if (claim.statistic() == Claim.Statistic.SEED_SPREAD) {
        return spread(claim, mine, theirs, record);
      }
      List<double[]> pairs = new ArrayList<>();
      Map<String, Integer> missing = new TreeMap<>();
      int unpaired = 0;
      for (RunRecord r : mine) {
        List<RunRecord> partners =
            theirs.stream().filter(t -> claim.paired(labels(r), labels(t))).toList();
        if (partners.size() != 1) {
          unpaired++;
          continue;
        }
        Value[] values = values(claim, r, partners.get(0));
        if (values[0].value() == null || values[1].value() == null) {
          missing.merge(
              values[0].value() == null ? values[0].missing() : values[1].missing(),
              1,
              Integer::sum);
          continue;
        }
        pairs.add(new double[] {values[0].value(), values[1].value()});
      }
      StringBuilder notes = new StringBuilder();
      if (unpaired > 0) {
        notes.append(
            String.format(
                Locale.ROOT, " %d run(s) of the config had no single run to pair with.", unpaired));
      }
      missing.forEach(
          (why, count) ->
              notes.append(String.format(Locale.ROOT, " %d pair(s) left out: %s.", count, why)));
      return difference(claim, pairs, record, notes.toString().trim());
    }

    /** The mean paired difference with its t interval, and the verdict. */
    private ClaimRecord difference(
        Claim claim, List<double[]> pairs, ClaimRecord.Builder record, String notes) {
      int n = pairs.size();
      record.setEstimand(DIFFERENCE).setReference(0).setPairs(n);
      if (n == 0) {
        return record
            .setVerdict(ClaimVerdict.INCONCLUSIVE)
            .setReason(join("No pair of runs with the statistic: no estimate.", notes))
            .build();
      }
      double[] differences = pairs.stream().mapToDouble(p -> p[0] - p[1]).toArray();
      double mean = SeedSpread.mean(differences);
      record
          .setConfigMean(SeedSpread.mean(pairs.stream().mapToDouble(p -> p[0]).toArray()))
          .setAgainstMean(SeedSpread.mean(pairs.stream().mapToDouble(p -> p[1]).toArray()))
          .setEstimate(mean);
      if (n < 2) {
        return record
            .setVerdict(ClaimVerdict.INCONCLUSIVE)
            .setReason(join("One pair: no interval from a single seed.", notes))
            .build();
      }
      double t = SeedStatistics.tQuantile(n - 1);
      double half = t * SeedSpread.sampleStandardDeviation(differences, mean) / Math.sqrt(n);
      double low = mean - half;
      double high = mean + half;
      ClaimVerdict verdict = ClaimVerdicts.verdict(low, high, 0, claim.direction());
      return record
          .setCi95Low(low)
          .setCi95High(high)
          .setVerdict(verdict)
          .setReason(
              join(
                  side(low, high, 0, claim.direction(), verdict)
                      + String.format(
                          Locale.ROOT, " n = %d pairs, t(0.975; %d) = %.3f.", n, n - 1, t),
                  notes))
          .build();
    }

    /** The ratio of the standard deviations over the seeds both configs finished. */
    private ClaimRecord spread(
        Claim claim, List<RunRecord> mine, List<RunRecord> theirs, ClaimRecord.Builder record) {
      record.setEstimand(RATIO).setReference(1);
      List<Double> a = new ArrayList<>();
      List<Double> b = new ArrayList<>();
      for (RunRecord r : mine) {
        for (RunRecord t : theirs) {
          if (claim.paired(labels(r), labels(t))
              && SweepRuns.finished(r)
              && SweepRuns.finished(t)) {
            a.add(r.getFinalEvalMetric());
            b.add(t.getFinalEvalMetric());
          }
        }
      }
      int n = a.size();
      record.setPairs(n);
      if (n < 2) {
        return record
            .setVerdict(ClaimVerdict.INCONCLUSIVE)
            .setReason(
                n
                    + " seed(s) both configs finished: a spread needs at least two, an interval"
                    + " more.")
            .build();
      }
      double[] x = a.stream().mapToDouble(Double::doubleValue).toArray();
      double[] y = b.stream().mapToDouble(Double::doubleValue).toArray();
      double sx = SeedSpread.sampleStandardDeviation(x, SeedSpread.mean(x));
      double sy = SeedSpread.sampleStandardDeviation(y, SeedSpread.mean(y));
      record.setConfigMean(sx).setAgainstMean(sy);
      if (!(sx > 0 && sy > 0)) {
        return record
            .setVerdict(ClaimVerdict.INCONCLUSIVE)
            .setReason("A standard deviation is 0: no ratio.")
            .build();
      }
      double ratio = sx / sy;
      FDistribution f = new FDistribution(null, n - 1, n - 1);
      double low = ratio / Math.sqrt(f.inverseCumulativeProbability(0.975));
      double high = ratio / Math.sqrt(f.inverseCumulativeProbability(0.025));
      ClaimVerdict verdict = ClaimVerdicts.verdict(low, high, 1, claim.direction());
      return record
          .setEstimate(ratio)
          .setCi95Low(low)
          .setCi95High(high)
          .setVerdict(verdict)
          .setReason(
              side(low, high, 1, claim.direction(), verdict)
                  + String.format(
                      Locale.ROOT,
                      " n = %d seeds each; F interval of the variance ratio, treating the two"
                          + " configs' runs as independent normal samples.",
                      n))
          .build();
    }

    /** The statistic of a config run and of its partner. */
    private Value[] values(Claim claim, RunRecord mine, RunRecord theirs) {
      if (!SweepRuns.finished(mine) || !SweepRuns.finished(theirs)) {
        String which = !SweepRuns.finished(mine) ? "config" : "against";
        Value none = Value.none("the " + which + " run did not finish");
        return new Value[] {none, none};
      }
      return switch (claim.statistic()) {
        case FINAL_METRIC ->
            new Value[] {
              Value.of(mine.getFinalEvalMetric()), Value.of(theirs.getFinalEvalMetric())
            };
        case METRIC_AT_STEP ->
            new Value[] {atStep(mine, claim.step()), atStep(theirs, claim.step())};
        case STEPS_TO_DENSE_FINAL, SECONDS_TO_DENSE_FINAL ->
            new Value[] {toDense(mine, claim.statistic()), toDense(theirs, claim.statistic())};
        case KAPPA_JUMP, TRACE_JUMP -> jumps(mine, theirs, claim.statistic());
        case SEED_SPREAD -> throw new IllegalArgumentException("seed_spread is not per run");
      };
    }

    private Value atStep(RunRecord run, long step) {
      Map<String, Double> at =
          metricAtStep.computeIfAbsent(
              step,
              s -> {
                Map<String, Double> values = new HashMap<>();
                ReportFiles.forEach(
                    reportDir.resolve(ReportFiles.METRICS),
                    MetricRow.class,
                    row -> {
                      if (row.getStep() == s) {
                        values.put(row.getRunId(), row.getEvalMetric());
                      }
                    });
                return values;
              });
      Double value = at.get(run.getRunId());
      return value == null || value.isNaN()
          ? Value.none("no evaluation at step " + step)
          : Value.of(value);
    }

    private Value toDense(RunRecord run, Claim.Statistic statistic) {
      if (progress == null) {
        progress = SweepSummary.progress(runs, reportDir.resolve(ReportFiles.METRICS));
      }
      SweepSummary.Progress p = progress.get(run.getRunId());
      if (runs.matchedDense(run).isEmpty()) {
        return Value.none("no finished dense run of the same baseline and seed");
      }
      if (!p.reached()) {
        return Value.none("a run never reached its dense run's final metric");
      }
      return Value.of(
          statistic == Claim.Statistic.STEPS_TO_DENSE_FINAL
              ? p.firstReachStep
              : p.firstReachSeconds);
    }

    /** The jumps of both runs over the first pruning event (see the class comment). */
    private Value[] jumps(RunRecord mine, RunRecord theirs, Claim.Statistic statistic) {
      readDiagnostics();
      if (modelRows == null) {
        Value none = Value.none("the report folder has no " + ReportFiles.DIAGNOSTICS);
        return new Value[] {none, none};
      }
      Event mineEvent = events.get(mine.getRunId());
      Event theirEvent = events.get(theirs.getRunId());
      if (mineEvent == null && theirEvent == null) {
        Value none = Value.none("neither run has a pruning event");
        return new Value[] {none, none};
      }
      boolean kappa = statistic == Claim.Statistic.KAPPA_JUMP;
      if (mineEvent != null) {
        Jump a = ownJump(mine, mineEvent, kappa);
        Jump b =
            theirEvent != null
                ? ownJump(theirs, theirEvent, kappa)
                : overSteps(theirs, a.beforeStep(), a.afterStep(), kappa);
        return new Value[] {a.value(), b.value()};
      }
      Jump b = ownJump(theirs, theirEvent, kappa);
      Jump a = overSteps(mine, b.beforeStep(), b.afterStep(), kappa);
      return new Value[] {a.value(), b.value()};
    }

    private Jump ownJump(RunRecord run, Event event, boolean kappa) {
      List<ModelRow> rows = modelRows.getOrDefault(run.getRunId(), List.of());
      ModelRow before =
          rows.stream()
              .filter(r -> event.checkpointBefore().equals(r.checkpoint()))
              .findFirst()
              .orElse(
                  rows.stream()
                      .filter(r -> r.step() < event.step())
                      .reduce((x, y) -> y)
                      .orElse(null));
      ModelRow after =
          rows.stream()
              .filter(r -> event.checkpointAfter().equals(r.checkpoint()))
              .findFirst()
              .orElse(rows.stream().filter(r -> r.step() > event.step()).findFirst().orElse(null));
      return jump(before, after, kappa);
    }

    private Jump overSteps(RunRecord run, long beforeStep, long afterStep, boolean kappa) {
      List<ModelRow> rows = modelRows.getOrDefault(run.getRunId(), List.of());
      ModelRow before =
          rows.stream().filter(r -> r.step() <= beforeStep).reduce((x, y) -> y).orElse(null);
      ModelRow after = rows.stream().filter(r -> r.step() >= afterStep).findFirst().orElse(null);
      return jump(before, after, kappa);
    }

    private static Jump jump(ModelRow before, ModelRow after, boolean kappa) {
      if (before == null || after == null) {
        return new Jump(
            Value.none("no whole-model diagnostics on both sides of the pruning event"), -1, -1);
      }
      Double from = kappa ? finiteKappa(before) : before.trace();
      Double to = kappa ? finiteKappa(after) : after.trace();
      if (from == null || to == null || from.isNaN() || to.isNaN()) {
        return new Jump(
            Value.none(
                kappa
                    ? "whole-model \u03ba singular or not computed"
                    : "no Hessian trace (hutchinson_probes: 0)"),
            before.step(),
            after.step());
      }
      return new Jump(Value.of(to - from), before.step(), after.step());
    }

    private static Double finiteKappa(ModelRow row) {
      return row.singular() || Double.isInfinite(row.kappa()) ? null : row.kappa();
    }

    private void readDiagnostics() {
      if (events != null) {
        return;
      }
      events = new HashMap<>();
      Path eventsFile = reportDir.resolve(ReportFiles.PRUNE_EVENTS);
      if (Files.exists(eventsFile)) {
        ReportFiles.forEach(
            eventsFile,
            PruneEvent.class,
            e -> {
              Event known = events.get(e.getRunId());
              if (known == null || e.getStep() < known.step()) {
                events.put(
                    e.getRunId(),
                    new Event(e.getStep(), e.getCheckpointBefore(), e.getCheckpointAfter()));
              }
            });
      } else {
        for (RunRecord r : runs.all()) {
          if (!r.getPruneSteps().isEmpty()) {
            events.put(r.getRunId(), new Event(r.getPruneSteps().get(0), "", ""));
          }
        }
      }
      Path diagnosticsFile = reportDir.resolve(ReportFiles.DIAGNOSTICS);
      if (!Files.exists(diagnosticsFile)) {
        return;
      }
      Map<String, List<ModelRow>> rows = new HashMap<>();
      ReportFiles.forEach(
          diagnosticsFile,
          DiagnosticRecord.class,
          row -> {
            if (row.getKind() == DiagnosticKind.MODEL) {
              rows.computeIfAbsent(row.getRunId(), id -> new ArrayList<>())
                  .add(
                      new ModelRow(
                          row.getStep(),
                          row.getCheckpoint(),
                          row.getConditionNumber(),
                          row.getSingular(),
                          row.getHessianTrace()));
            }
          });
      // by step; at one step the "before" checkpoint first
      Comparator<ModelRow> order =
          Comparator.comparingLong(ModelRow::step)
              .thenComparing(
                  r -> r.checkpoint() == null || !r.checkpoint().contains("-prune-before") ? 1 : 0);
      rows.values().forEach(list -> list.sort(order));
      modelRows = rows;
    }

    private String unit(Claim claim, List<RunRecord> mine, List<RunRecord> theirs) {
      return switch (claim.statistic()) {
        case FINAL_METRIC, METRIC_AT_STEP, SEED_SPREAD ->
            (mine.isEmpty() ? theirs : mine)
                .stream().findFirst().map(RunRecord::getMetricName).orElse("metric");
        case STEPS_TO_DENSE_FINAL -> "steps";
        case SECONDS_TO_DENSE_FINAL -> "seconds";
        case KAPPA_JUMP -> "kappa";
        case TRACE_JUMP -> "trace";
      };
    }
  }

  private static Map<String, String> labels(RunRecord run) {
    Map<String, String> labels = new HashMap<>();
    run.getLabels().forEach((k, v) -> labels.put(k.toString(), v.toString()));
    return labels;
  }

  private static List<String> configs(List<RunRecord> runs) {
    return List.copyOf(new TreeSet<>(runs.stream().map(RunRecord::getConfig).toList()));
  }

  /** Where the interval lies, in words. */
  private static String side(
      double low, double high, double reference, Claim.Direction direction, ClaimVerdict verdict) {
    String interval = String.format(Locale.ROOT, "95 %% interval [%.4g, %.4g]", low, high);
    String ref = reference == 0 ? "0" : "1";
    return switch (verdict) {
      case SUPPORTED ->
          interval
              + " lies "
              + (direction == Claim.Direction.LOWER ? "below " : "above ")
              + ref
              + ", the side the paper claims.";
      case CONTRADICTED ->
          interval
              + " lies "
              + (direction == Claim.Direction.LOWER ? "above " : "below ")
              + ref
              + ", against the paper's claim.";
      case INCONCLUSIVE -> interval + " contains " + ref + ": inconclusive at this scale.";
    };
  }

  private static String join(String first, String notes) {
    return notes.isEmpty() ? first : first + " " + notes;
  }
}
