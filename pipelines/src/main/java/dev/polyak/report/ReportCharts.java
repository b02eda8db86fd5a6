package dev.polyak.report;

import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.Curves;
import dev.polyak.summary.SweepDiagnostics;
import dev.polyak.summary.SweepRuns;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The charts of report.html, drawn with XChart in headless mode and encoded as PNG: training curves
 * with their band over seeds, final metric against pruning ratio, the seed spread and the
 * whole-model condition number over training. Each returns empty when it has nothing to draw.
 */
final class ReportCharts {
  /** Width of the charts that span the page. */
  static final int WIDE = 1100;

  /** Width and height of the small per-config charts. */
  static final int SMALL_WIDTH = 540;

  static final int SMALL_HEIGHT = 320;

  /** Charts with a series per seed draw at most this many seeds (the lowest). */
  static final int MAX_SEEDS = 10;

  /** Curves with more evaluations than this are drawn without markers. */
  static final int MARKED_POINTS = 15;

  /** Matplotlib's "tab10" colours: distinct, and readable on white. */
  private static final Color[] PALETTE = {
    new Color(31, 119, 180),
    new Color(255, 127, 14),
    new Color(44, 160, 44),
    new Color(214, 39, 40),
    new Color(148, 103, 189),
    new Color(140, 86, 75),
    new Color(227, 119, 194),
    new Color(127, 127, 127),
    new Color(188, 189, 34),
    new Color(23, 190, 207)
  };

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ReportCharts() {}

  static Color colour(int i) {
    return PALETTE[i % PALETTE.length];
  }

  /**
   * (a) The mean eval metric of each config over its finished seeds against the step, with a band
   * from the seeds' min to their max; log scale for perplexity.
   */
  static Optional<byte[]> trainingCurves(
      String model,
      String metricName,
      List<String> configs,
      Map<String, String> labels,
      Curves curves) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDE)
            .height(460)
            .title(
                model
                    + ": held-out "
                    + metricName
                    + " over training (mean over finished seeds, band min..max)")
            .xAxisTitle("step")
            .yAxisTitle("eval " + metricName)
            .build();
    style(chart.getStyler());
    chart.getStyler().setYAxisLogarithmic(SweepRuns.lowerIsBetter(metricName));
    chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
    int drawn = 0;
    for (int i = 0; i < configs.size(); i++) {
      List<Curves.Point> points = curves.of(configs.get(i)).evalMetric();
      if (points.isEmpty()) {
        continue;
      }
      Color colour = colour(i);
      double[] steps = points.stream().mapToDouble(Curves.Point::step).toArray();
      if (points.size() > 1) {
        int n = points.size();
        double[] x = new double[2 * n];
        double[] y = new double[2 * n];
        for (int k = 0; k < n; k++) {
          x[k] = steps[k];
          y[k] = points.get(k).max();
          x[2 * n - 1 - k] = steps[k];
          y[2 * n - 1 - k] = points.get(k).min();
        }
        XYSeries band = chart.addSeries(labels.get(configs.get(i)) + " (band)", x, y);
        band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
        band.setFillColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 50));
        band.setLineColor(new Color(0, 0, 0, 0));
        band.setMarker(SeriesMarkers.NONE);
        band.setShowInLegend(false);
      }
      XYSeries mean =
          chart.addSeries(
              labels.get(configs.get(i)),
              steps,
              points.stream().mapToDouble(Curves.Point::mean).toArray());
      mean.setLineColor(colour);
      mean.setMarkerColor(colour);
      mean.setMarker(points.size() > MARKED_POINTS ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
      mean.setLineWidth(2);
      drawn++;
    }
    return drawn == 0 ? Optional.empty() : Optional.of(png(chart));
  }

  /**
   * (b) The final eval metric (mean over finished seeds, bars: 95 % interval) against the pruning
   * ratio, one line per method; the dense config's mean as a dashed horizontal line.
   */
  static Optional<byte[]> tradeOff(String baseline, String metricName, List<SummaryRecord> rows) {
    Map<String, TreeMap<Double, Stats>> byMethod = new TreeMap<>();
    Stats dense = null;
    for (SummaryRecord r : rows) {
      if (r.getFinalEvalMetric() == null) {
        continue;
      }
      if (r.getMethod().equals(SweepRuns.DENSE)) {
        dense = r.getFinalEvalMetric();
      } else {
        byMethod
            .computeIfAbsent(r.getMethod(), m -> new TreeMap<>())
            .put(r.getRatio(), r.getFinalEvalMetric());
      }
    }
    if (byMethod.isEmpty()) {
      return Optional.empty();
    }
    XYChart chart =
        new XYChartBuilder()
            .width(WIDE)
            .height(420)
            .title(
                (baseline.isEmpty() ? rows.get(0).getModel() : baseline)
                    + ": final held-out "
                    + metricName
                    + " vs pruning ratio (mean, bars: 95 % CI over seeds, within the metric's"
                    + " range)")
            .xAxisTitle("pruning ratio")
            .yAxisTitle("final eval " + metricName)
            .build();
    style(chart.getStyler());
    double[] domain = domain(metricName);
    double minRatio = Double.POSITIVE_INFINITY;
    double maxRatio = Double.NEGATIVE_INFINITY;
    int i = 0;
    for (Map.Entry<String, TreeMap<Double, Stats>> e : byMethod.entrySet()) {
      TreeMap<Double, Stats> points = e.getValue();
      double[] x = points.keySet().stream().mapToDouble(Double::doubleValue).toArray();
      double[] y = points.values().stream().mapToDouble(Stats::getMean).toArray();
      XYSeries series = chart.addSeries(e.getKey(), x, y);
      series.setLineColor(colour(i + 1));
      series.setMarkerColor(colour(i + 1));
      series.setMarker(SeriesMarkers.CIRCLE);
      int k = 0;
      for (Map.Entry<Double, Stats> point : points.entrySet()) {
        Stats stats = point.getValue();
        if (stats.getN() < 2) {
          continue; // no interval from one seed
        }
        // a symmetric t interval can leave the metric's range (perplexity below 1 with two seeds)
        XYSeries bar =
            chart.addSeries(
                e.getKey() + " 95 % CI " + k++,
                new double[] {point.getKey(), point.getKey()},
                new double[] {
                  Math.max(domain[0], stats.getCi95Low()), Math.min(domain[1], stats.getCi95High())
                });
        bar.setLineColor(colour(i + 1));
        bar.setMarker(SeriesMarkers.NONE);
        bar.setShowInLegend(false);
      }
      minRatio = Math.min(minRatio, x[0]);
      maxRatio = Math.max(maxRatio, x[x.length - 1]);
      i++;
    }
    if (dense != null) {
      double from = Math.min(0, minRatio);
      double to = maxRatio > from ? maxRatio : from + 1;
      XYSeries line =
          chart.addSeries(
              "dense", new double[] {from, to}, new double[] {dense.getMean(), dense.getMean()});
      line.setLineColor(colour(0));
      line.setLineStyle(
          new BasicStroke(
              2, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
      line.setMarker(SeriesMarkers.NONE);
    }
    return Optional.of(png(chart));
  }

  /**
   * The values {@code metricName} can take: perplexity (the exponential of a non-negative
   * cross-entropy) at least 1, accuracy a fraction in [0, 1].
   */
  static double[] domain(String metricName) {
    return metricName.equals("accuracy")
        ? new double[] {0, 1}
        : new double[] {1, Double.POSITIVE_INFINITY};
  }

  /**
   * What the intervals of {@link #tradeOff} do not show by themselves: that some were cut at the
   * metric's range, and how wide a 95 % t interval is over so few seeds; "" when neither applies.
   */
  static String tradeOffNote(String metricName, List<SummaryRecord> rows) {
    double[] domain = domain(metricName);
    int fewest = Integer.MAX_VALUE;
    boolean clipped = false;
    for (SummaryRecord r : rows) {
      Stats s = r.getFinalEvalMetric();
      if (s == null || r.getMethod().equals(SweepRuns.DENSE)) {
        continue;
      }
      fewest = Math.min(fewest, s.getN());
      clipped |= s.getN() >= 2 && (s.getCi95Low() < domain[0] || s.getCi95High() > domain[1]);
    }
    StringBuilder note = new StringBuilder();
    if (fewest < 5 && fewest != Integer.MAX_VALUE) {
      note.append(
          fewest < 2
              ? "Configs with one finished seed have no interval. "
              : String.format(
                  java.util.Locale.ROOT,
                  "With n = %d seeds a 95 %% interval is mean \u00b1 %.1f std / \u221a%d"
                      + " (Student's t with %d degree%s of freedom): too wide to mean much;"
                      + " run more seeds. ",
                  fewest,
                  dev.polyak.summary.SeedStatistics.tQuantile(fewest - 1),
                  fewest,
                  fewest - 1,
                  fewest == 2 ? "" : "s"));
    }
    if (clipped) {
      note.append("Intervals that leave the metric's range (")
          .append(metricName.equals("accuracy") ? "0 to 1" : "perplexity \u2265 1")
          .append(") are cut at its edge.");
    }
    return note.toString().trim();
  }

  /**
   * (e) The final eval metric of every finished seed of each config, one colour per seed, and their
   * mean; beyond {@link #MAX_SEEDS} seeds their min, mean and max.
   */
  static Optional<byte[]> seedSpread(
      String model,
      String metricName,
      List<String> configs,
      Map<String, String> labels,
      SweepRuns runs) {
    TreeSet<Long> seeds = new TreeSet<>();
    for (String c : configs) {
      runs.runs(c).stream().filter(SweepRuns::finished).forEach(r -> seeds.add(r.getSeed()));
    }
    if (seeds.isEmpty()) {
      return Optional.empty();
    }
    List<String> categories = configs.stream().map(labels::get).toList();
    boolean eachSeed = seeds.size() <= MAX_SEEDS;
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDE)
            .height(380 + 8 * longest(categories))
            .title(
                model
                    + ": final held-out "
                    + metricName
                    + (eachSeed
                        ? " of each finished seed"
                        : " over " + seeds.size() + " seeds (min, mean, max of the finished ones)"))
            .xAxisTitle("config")
            .yAxisTitle("final eval " + metricName)
            .build();
    style(chart.getStyler());
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
    chart.getStyler().setXAxisLabelRotation(categories.size() > 4 ? 30 : 0);
    chart.getStyler().setMarkerSize(9);
    List<double[]> finals = new ArrayList<>();
    for (String c : configs) {
      finals.add(
          runs.runs(c).stream()
              .filter(SweepRuns::finished)
              .mapToDouble(RunRecord::getFinalEvalMetric)
              .toArray());
    }
    if (eachSeed) {
      int i = 0;
      for (long seed : seeds) {
        List<Double> values = new ArrayList<>();
        for (String c : configs) {
          values.add(
              runs.seedRun(c, seed)
                  .filter(SweepRuns::finished)
                  .map(RunRecord::getFinalEvalMetric)
                  .orElse(null));
        }
        CategorySeries s = chart.addSeries("seed " + seed, categories, values);
        s.setMarkerColor(colour(i++));
        s.setMarker(SeriesMarkers.CIRCLE);
      }
    } else {
      addSummarySeries(
          chart,
          "min",
          categories,
          finals,
          v -> java.util.Arrays.stream(v).min().orElseThrow(),
          SeriesMarkers.TRIANGLE_DOWN,
          colour(0));
      addSummarySeries(
          chart,
          "max",
          categories,
          finals,
          v -> java.util.Arrays.stream(v).max().orElseThrow(),
          SeriesMarkers.TRIANGLE_UP,
          colour(3));
    }
    addSummarySeries(
        chart,
        "mean",
        categories,
        finals,
        dev.polyak.diag.SeedSpread::mean,
        SeriesMarkers.DIAMOND,
        Color.BLACK);
    return Optional.of(png(chart));
  }

  /**
   * A figure of the MODEL rows drawn over training: its axis title and the value drawn for a point.
   */
  enum ModelFigure {
    /**
     * κ of the whole-model kernel; singular states (κ = ∞) and rows without the kernel left out.
     */
    KAPPA("\u03ba (whole model)") {
      @Override
      double value(SweepDiagnostics.ModelPoint p) {
        return p.singular() ? Double.NaN : p.conditionNumber();
      }
    },
    /** The PL ratio ‖∇L‖²/L on the probe set. */
    PL_RATIO("PL ratio |\u2207L|\u00b2 / L") {
      @Override
      double value(SweepDiagnostics.ModelPoint p) {
        return p.plRatio();
      }
    };

    final String axisTitle;

    ModelFigure(String axisTitle) {
      this.axisTitle = axisTitle;
    }

    /** The point's value; NaN when it has none to draw. */
    abstract double value(SweepDiagnostics.ModelPoint p);
  }

  /**
   * (d) A MODEL-row figure (κ or the PL ratio) of each seed of a config (its {@link #MAX_SEEDS}
   * lowest) against the step, log scale when the values span a decade or more (points without a
   * finite positive value left out), with the runs' pruning steps as dashed vertical lines; empty
   * when no seed has a point.
   */
  static Optional<byte[]> overTraining(
      ModelFigure figure, String title, List<RunRecord> runs, SweepDiagnostics diagnostics) {
    XYChart chart =
        new XYChartBuilder()
            .width(SMALL_WIDTH)
            .height(SMALL_HEIGHT)
            .title(title)
            .xAxisTitle("step")
            .yAxisTitle(figure.axisTitle)
            .build();
    style(chart.getStyler());
    chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
    chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setLegendPadding(4);
    chart.getStyler().setAnnotationLineColor(new Color(214, 39, 40));
    chart
        .getStyler()
        .setAnnotationLineStroke(
            new BasicStroke(
                1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    TreeSet<Long> pruneSteps = new TreeSet<>();
    double low = Double.POSITIVE_INFINITY;
    double high = 0;
    int i = 0;
    for (RunRecord r : runs.subList(0, Math.min(runs.size(), MAX_SEEDS))) {
      List<SweepDiagnostics.ModelPoint> points =
          diagnostics.modelPoints(r.getRunId()).stream()
              .filter(p -> Double.isFinite(figure.value(p)) && figure.value(p) > 0)
              .toList();
      Color colour = colour(i++);
      if (points.isEmpty()) {
        continue;
      }
      for (SweepDiagnostics.ModelPoint p : points) {
        low = Math.min(low, figure.value(p));
        high = Math.max(high, figure.value(p));
      }
      XYSeries s =
          chart.addSeries(
              "seed " + r.getSeed(),
              points.stream().mapToDouble(SweepDiagnostics.ModelPoint::step).toArray(),
              points.stream().mapToDouble(figure::value).toArray());
      s.setLineColor(colour);
      s.setMarkerColor(colour);
      s.setMarker(points.size() > MARKED_POINTS ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
      pruneSteps.addAll(r.getPruneSteps());
    }
    if (chart.getSeriesMap().isEmpty()) {
      return Optional.empty();
    }
    // XChart labels a log axis at powers of ten only: within one decade it would have no labels
    chart.getStyler().setYAxisLogarithmic(high >= 10 * low);
    for (long step : pruneSteps) {
      chart.addAnnotation(new AnnotationLine(step, true, false));
    }
    return Optional.of(png(chart));
  }

  private static void addSummarySeries(
      CategoryChart chart,
      String name,
      List<String> categories,
      List<double[]> finals,
      java.util.function.ToDoubleFunction<double[]> figure,
      org.knowm.xchart.style.markers.Marker marker,
      Color colour) {
    List<Double> values = new ArrayList<>();
    for (double[] v : finals) {
      values.add(v.length == 0 ? null : figure.applyAsDouble(v));
    }
    CategorySeries s = chart.addSeries(name, categories, values);
    s.setMarker(marker);
    s.setMarkerColor(colour);
  }

  private static int longest(List<String> labels) {
    return labels.size() > 4
        ? Math.min(40, labels.stream().mapToInt(String::length).max().orElse(0))
        : 0;
  }

  private static void style(AxesChartStyler s) {
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderColor(new Color(180, 180, 180));
    s.setPlotGridLinesColor(new Color(225, 225, 225));
    s.setLegendBorderColor(new Color(200, 200, 200));
    s.setLegendPosition(Styler.LegendPosition.OutsideE);
    s.setChartTitleBoxVisible(false);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setMarkerSize(6);
    s.setLocale(java.util.Locale.ROOT);
    s.setAntiAlias(true);
  }

  /** {@code chart} as PNG bytes. */
  static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot encode the chart '" + chart.getTitle() + "' as PNG", e);
    }
  }
}
