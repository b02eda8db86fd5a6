package dev.polyak.summary;

import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The training curves of a sweep's configs across seeds: at every evaluated step, count, mean,
 * sample standard deviation, min and max over the config's finished runs of the eval metric and of
 * the training loss. Built in one streamed pass over metrics.avro with running (Welford) sums, so
 * memory grows with configs × steps, not with runs × steps. Diverged and failed runs are left out,
 * as in summary.avro; in a partial report a PARTIAL run counts at the steps it has evaluated (so n
 * can drop along a curve). A different row order changes the figures by rounding only.
 */
public final class Curves {
  /** One figure at one step across seeds; std is 0 for one seed. */
  public record Point(long step, int n, double mean, double std, double min, double max) {}

  /** One config's curves, by step. */
  public record Curve(String config, List<Point> evalMetric, List<Point> trainLoss) {}

  private final SortedMap<String, Curve> byConfig;

  private Curves(SortedMap<String, Curve> byConfig) {
    this.byConfig = byConfig;
  }

  /** The curves of the sweep in {@code reportDir} (runs.avro, then one pass over metrics.avro). */
  public static Curves read(Path reportDir) {
    return of(SweepRuns.read(reportDir), reportDir.resolve(ReportFiles.METRICS));
  }

  /** The curves of {@code runs}' finished (and partial) runs from {@code metrics}. */
  public static Curves of(SweepRuns runs, Path metrics) {
    Map<String, String> configOf = new HashMap<>();
    for (RunRecord r : runs.all()) {
      if (SweepRuns.finished(r) || r.getStatus() == RunStatus.PARTIAL) {
        configOf.put(r.getRunId(), r.getConfig());
      }
    }
    Map<String, TreeMap<Long, Accumulator[]>> sums = new HashMap<>();
    ReportFiles.forEach(
        metrics,
        MetricRow.class,
        row -> {
          String config = configOf.get(row.getRunId());
          if (config == null) {
            return; // diverged or failed (or not listed: SweepSummary reports those)
          }
          Accumulator[] at =
              sums.computeIfAbsent(config, c -> new TreeMap<>())
                  .computeIfAbsent(
                      row.getStep(), s -> new Accumulator[] {new Accumulator(), new Accumulator()});
          at[0].add(row.getEvalMetric());
          at[1].add(row.getTrainLoss());
        });
    SortedMap<String, Curve> curves = new TreeMap<>();
    for (String config : runs.byConfig().keySet()) {
      List<Point> eval = new ArrayList<>();
      List<Point> train = new ArrayList<>();
      for (Map.Entry<Long, Accumulator[]> e :
          sums.getOrDefault(config, new TreeMap<>()).entrySet()) {
        eval.add(e.getValue()[0].point(e.getKey()));
        train.add(e.getValue()[1].point(e.getKey()));
      }
      curves.put(config, new Curve(config, List.copyOf(eval), List.copyOf(train)));
    }
    return new Curves(Collections.unmodifiableSortedMap(curves));
  }

  /** Every config's curves (empty lists for a config without finished runs), sorted by config. */
  public SortedMap<String, Curve> byConfig() {
    return byConfig;
  }

  /** The curves of {@code config}. */
  public Curve of(String config) {
    Curve c = byConfig.get(config);
    if (c == null) {
      throw new IllegalArgumentException("no config '" + config + "' in the sweep");
    }
    return c;
  }

  /** Welford's running count, mean and sum of squared deviations, with min and max. */
  private static final class Accumulator {
    private int n;
    private double mean;
    private double squares;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;

    void add(double value) {
      n++;
      double delta = value - mean;
      mean += delta / n;
      squares += delta * (value - mean);
      min = Math.min(min, value);
      max = Math.max(max, value);
    }

    Point point(long step) {
      return new Point(step, n, mean, n < 2 ? 0 : Math.sqrt(squares / (n - 1)), min, max);
    }
  }
}
