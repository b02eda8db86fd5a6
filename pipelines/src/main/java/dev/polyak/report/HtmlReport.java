package dev.polyak.report;

import dev.polyak.PolyakVersion;
import dev.polyak.io.AtomicFiles;
import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.Curves;
import dev.polyak.summary.ReportFiles;
import dev.polyak.summary.SweepDiagnostics;
import dev.polyak.summary.SweepRuns;
import dev.polyak.summary.SweepSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code report.html}: one self-contained static page about a sweep, from its report folder's Avro
 * files alone: the summary table (summary.avro, computed when absent), the diverged and failed
 * runs, and the charts as PNG data URIs (no script, font, style sheet or image is fetched):
 * training curves per model with their band over seeds, final metric against pruning ratio per
 * baseline, the seed spread per model, the whole-model condition number over training per config
 * with its pruning steps, and per-structure condition-number heat maps before and after the first
 * pruning event of each config's representative run ({@link SweepDiagnostics}). A section whose
 * file is missing (diagnostics.avro, prune_events.avro) says so. The same files give the same
 * bytes.
 */
public final class HtmlReport {
  private HtmlReport() {}

  /** Writes {@code <reportDir>/report.html} (atomically) and returns its path. */
  public static Path write(Path reportDir) {
    SweepRuns runs = SweepRuns.read(reportDir);
    Path summaryFile = reportDir.resolve(ReportFiles.SUMMARY);
    List<SummaryRecord> summary =
        Files.exists(summaryFile)
            ? ReportFiles.readAll(summaryFile, SummaryRecord.class)
            : SweepSummary.summarize(reportDir);
    Curves curves = Curves.of(runs, reportDir.resolve(ReportFiles.METRICS));
    SweepDiagnostics diagnostics = SweepDiagnostics.read(reportDir, runs);
    Path claimsFile = reportDir.resolve(ReportFiles.CLAIMS);
    List<ClaimRecord> claims =
        Files.exists(claimsFile) ? ReportFiles.readAll(claimsFile, ClaimRecord.class) : List.of();
    Path html = reportDir.resolve(ReportFiles.HTML);
    String page = new Page(runs, summary, curves, diagnostics, claims).render();
    AtomicFiles.writeString(html, withEarlyStopping(page, summary));
    return html;
  }

  /** The page with its early-stopping section at the end, when the sweep stopped runs early. */
  private static String withEarlyStopping(String page, List<SummaryRecord> summary) {
    String section = EarlyStoppingSection.html(summary);
    int end = page.lastIndexOf("</body>");
    return section.isEmpty() || end < 0
        ? page
        : page.substring(0, end) + section + page.substring(end);
  }

  /** One rendering of the page. */
  private static final class Page {
    private final SweepRuns runs;
    private final List<SummaryRecord> summary;
    private final Curves curves;
    private final SweepDiagnostics diagnostics;
    private final List<ClaimRecord> claims;

    /** Whether some run has no outcome yet: a partial report. */
    private final boolean partial;

    private final Map<String, List<String>> configsByModel = new TreeMap<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();

    Page(
        SweepRuns runs,
        List<SummaryRecord> summary,
        Curves curves,
        SweepDiagnostics diagnostics,
        List<ClaimRecord> claims) {
      this.runs = runs;
      this.claims = claims;
      this.summary = summary;
      this.curves = curves;
      this.diagnostics = diagnostics;
      this.partial = runs.all().stream().anyMatch(r -> r.getStatus() == RunStatus.PARTIAL);
      for (Map.Entry<String, List<RunRecord>> e : runs.byConfig().entrySet()) {
        configsByModel
            .computeIfAbsent(e.getValue().get(0).getModel(), m -> new ArrayList<>())
            .add(e.getKey());
      }
      for (List<String> configs : configsByModel.values()) {
        labels.putAll(shortLabels(configs));
      }
    }

    String render() {
      out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .append("<title>polyak sweep report</title>\n<style>\n")
          .append(CSS)
          .append("</style>\n</head>\n<body>\n");
      header();
      out.append(ClaimsSection.html(claims));
      summaryTable();
      problemRuns();
      trainingCurves();
      tradeOffs();
      seedSpread();
      overTraining(
          ReportCharts.ModelFigure.KAPPA,
          "kappa",
          "Whole-model condition number over training",
          "\u03ba = \u03bb<sub>max</sub> / \u03bb<sub>min</sub> of the whole-model NTK kernel (MODEL rows) per seed,"
              + " log scale when it spans a decade; dashed red lines: pruning steps. Singular states"
              + " (\u03ba = \u221e) and checkpoints diagnosed without the whole-model kernel are left out.",
          "\u03ba");
      overTraining(
          ReportCharts.ModelFigure.PL_RATIO,
          "pl",
          "PL ratio over training",
          "|\u2207L|\u00b2 / L on the probe set (MODEL rows) per seed (log scale when it spans a decade): the PL"
              + " inequality |\u2207L|\u00b2 \u2265 2\u00b5L holds along the trajectory with \u00b5 at most half"
              + " its smallest value; dashed red lines: pruning steps.",
          "PL ratio");
      heatMaps();
      notes();
      out.append("</body>\n</html>\n");
      return out.toString();
    }

    private void header() {
      List<RunRecord> all = runs.all();
      out.append("<h1>Sweep report</h1>\n<p class=\"meta\">")
          .append(all.size())
          .append(" runs in ")
          .append(runs.byConfig().size())
          .append(" configs of ")
          .append(configsByModel.size())
          .append(configsByModel.size() == 1 ? " model" : " models")
          .append(": ")
          .append(count(all, RunStatus.FINISHED))
          .append(" finished, ")
          .append(count(all, RunStatus.DIVERGED))
          .append(" diverged, ")
          .append(count(all, RunStatus.FAILED))
          .append(" failed")
          .append(partial ? ", " + count(all, RunStatus.PARTIAL) + " partial" : "")
          .append(".</p>\n")
          .append(
              partial
                  ? "<p class=\"partial\"><b>Partial report</b>: the sweep's job had not ended when"
                      + " it was written (it runs, or it was killed). PARTIAL runs have no"
                      + " outcome yet: their figures stop at their last evaluation; they are"
                      + " counted, not averaged, and their curves so far are drawn. No"
                      + " diagnostics.</p>\n"
                  : "")
          .append("<nav>")
          .append(claims.isEmpty() ? "" : "<a href=\"#claims\">Claims</a> \u00b7 ")
          .append(
              "<a href=\"#summary\">Summary</a> \u00b7 <a href=\"#problems\">Diverged and failed"
                  + " runs</a> \u00b7 ")
          .append(
              "<a href=\"#curves\">Training curves</a> \u00b7 <a href=\"#tradeoff\">Metric vs"
                  + " ratio</a> \u00b7 ")
          .append(
              "<a href=\"#spread\">Seed spread</a> \u00b7 <a href=\"#kappa\">\u03ba over"
                  + " training</a> \u00b7 ")
          .append("<a href=\"#pl\">PL ratio over training</a> \u00b7 ")
          .append(
              "<a href=\"#heatmaps\">\u03ba heat maps</a> \u00b7 <a"
                  + " href=\"#notes\">Definitions</a></nav>\n");
    }

    private static long count(List<RunRecord> runs, RunStatus status) {
      return runs.stream().filter(r -> r.getStatus() == status).count();
    }

    private void summaryTable() {
      out.append("<h2 id=\"summary\">Summary</h2>\n");
      if (summary.isEmpty()) {
        out.append("<p class=\"missing\">summary.avro has no rows.</p>\n");
        return;
      }
      Map<String, List<SummaryRecord>> byModel = new TreeMap<>();
      for (SummaryRecord s : summary) {
        byModel.computeIfAbsent(s.getModel(), m -> new ArrayList<>()).add(s);
      }
      for (Map.Entry<String, List<SummaryRecord>> e : byModel.entrySet()) {
        Map<String, String> rowLabels =
            shortLabels(e.getValue().stream().map(SummaryRecord::getConfig).toList());
        out.append("<h3>")
            .append(escape(e.getKey()))
            .append(" <span class=\"unit\">(")
            .append(escape(e.getValue().get(0).getMetricName()))
            .append(", ")
            .append(
                SweepRuns.lowerIsBetter(e.getValue().get(0).getMetricName()) ? "lower" : "higher")
            .append(
                " is better)</span></h3>\n"
                    + "<div class=\"scroll\"><table class=\"summary\">\n"
                    + "<thead><tr>")
            .append("<th>config</th><th>runs</th><th>finished / diverged / failed")
            .append(partial ? " / <b>partial</b>" : "")
            .append("</th>")
            .append("<th>final eval mean \u00b1 std<br><span class=\"unit\">[95 % CI]</span></th>")
            .append(
                "<th>reached dense</th><th>steps to dense</th><th>steps ratio</th><th>seconds ratio</th>")
            .append("<th>vs dense<br><span class=\"unit\">\u0394, p</span></th>")
            .append(
                "<th>vs random<br><span class=\"unit\">\u0394, p</span></th><th>pruning share</th></tr></thead>\n")
            .append("<tbody>\n");
        for (SummaryRecord s : e.getValue()) {
          Stats eval = s.getFinalEvalMetric();
          Stats steps = s.getStepsToDense();
          out.append("<tr><td class=\"config\" title=\"")
              .append(escape(s.getConfig()))
              .append("\">")
              .append(escape(rowLabels.get(s.getConfig())))
              .append("</td>")
              .append(num(Integer.toString(s.getRuns())))
              .append(
                  num(
                      s.getFinished()
                          + " / "
                          + s.getDiverged()
                          + " / "
                          + s.getFailed()
                          + (partial ? " / <b>" + s.getPartial() + "</b>" : "")))
              .append(
                  num(
                      eval == null
                          ? "\u2013"
                          : meanStd(eval)
                              + "<br><span class=\"unit\">["
                              + sameDecimals(eval.getCi95Low(), eval.getStd())
                              + ", "
                              + sameDecimals(eval.getCi95High(), eval.getStd())
                              + "]</span>"))
              .append(num(s.getReachedDense() + " / " + s.getMatchedDense()))
              .append(num(steps == null ? "\u2013" : meanStd(steps)))
              .append(
                  num(
                      s.getStepsRatioToDense() == null
                          ? "\u2013"
                          : fixed(s.getStepsRatioToDense(), 2)))
              .append(
                  num(
                      s.getSecondsRatioToDense() == null
                          ? "\u2013"
                          : fixed(s.getSecondsRatioToDense(), 2)))
              .append(num(paired(s.getVersusDense())))
              .append(num(paired(s.getVersusRandom())))
              .append(
                  num(
                      Double.isNaN(s.getPruningShare())
                          ? "\u2013"
                          : fixed(100 * s.getPruningShare(), 1) + " %"))
              .append("</tr>\n");
        }
        out.append("</tbody></table></div>\n");
      }
    }

    private static String paired(PairedComparison c) {
      if (c == null) {
        return "\u2013";
      }
      String difference =
          (c.getMeanDifference() >= 0 ? "+" : "\u2212")
              + sameDecimals(Math.abs(c.getMeanDifference()), c.getStdDifference());
      if (c.getPValue() == null) {
        return difference + "<br><span class=\"unit\">n = " + c.getPairs() + "</span>";
      }
      String p = "p = " + significant(c.getPValue(), 2);
      return difference
          + "<br>"
          + (c.getPValue() < 0.05 ? "<b>" + p + "</b>" : "<span class=\"unit\">" + p + "</span>");
    }

    private void problemRuns() {
      out.append("<h2 id=\"problems\">Diverged and failed runs")
          .append(partial ? "; partial runs" : "")
          .append("</h2>\n");
      List<RunRecord> problems =
          runs.all().stream()
              .filter(
                  r -> r.getStatus() != RunStatus.FINISHED && r.getStatus() != RunStatus.STOPPED)
              .toList();
      if (problems.isEmpty()) {
        out.append("<p>None: every run finished.</p>\n");
        return;
      }
      out.append("<p>Counted in the summary, left out of its statistics and of the charts")
          .append(partial ? " (but for the curves so far of partial runs)" : "")
          .append(".</p>\n")
          .append(
              "<div class=\"scroll\"><table class=\"problems\">\n<thead><tr><th>config</th><th>seed</th>")
          .append("<th>status</th><th>step</th><th>run</th><th>error</th></tr></thead>\n<tbody>\n");
      for (RunRecord r : problems) {
        String step =
            r.getStatus() == RunStatus.DIVERGED && r.getDivergedAtStep() != null
                ? "diverged at " + r.getDivergedAtStep()
                : r.getStatus() == RunStatus.PARTIAL && r.getAttempts() == 0
                    ? "not started"
                    : r.getStatus() == RunStatus.PARTIAL
                        ? "evaluated to " + r.getLastGoodStep() + " of " + r.getSteps()
                        : "last evaluated " + r.getLastGoodStep();
        out.append("<tr class=\"")
            .append(r.getStatus().name().toLowerCase(Locale.ROOT))
            .append("\"><td class=\"config\">")
            .append(escape(r.getConfig()))
            .append("</td>")
            .append(num(Long.toString(r.getSeed())))
            .append("<td>")
            .append(r.getStatus())
            .append("</td>")
            .append(num(step))
            .append("<td class=\"id\">")
            .append(escape(r.getRunId()))
            .append("</td><td class=\"error\">")
            .append(
                r.getError() != null
                    ? escape(r.getError())
                    : r.getStatus() == RunStatus.PARTIAL && r.getFinalEvalMetric() != null
                        ? "so far: "
                            + escape(r.getMetricName())
                            + " "
                            + format(r.getFinalEvalMetric())
                        : "")
            .append("</td></tr>\n");
      }
      out.append("</tbody></table></div>\n");
    }

    private void trainingCurves() {
      out.append("<h2 id=\"curves\">Training curves</h2>\n");
      for (Map.Entry<String, List<String>> e : configsByModel.entrySet()) {
        String metric = runs.runs(e.getValue().get(0)).get(0).getMetricName();
        Optional<byte[]> png =
            ReportCharts.trainingCurves(e.getKey(), metric, e.getValue(), labels, curves);
        figure(
            png,
            "training curves of " + e.getKey(),
            "no finished run of " + e.getKey() + " has evaluations");
      }
    }

    private void tradeOffs() {
      out.append("<h2 id=\"tradeoff\">Final eval metric versus pruning ratio</h2>\n");
      Map<String, List<SummaryRecord>> byBaseline = new TreeMap<>();
      for (SummaryRecord s : summary) {
        byBaseline.computeIfAbsent(s.getBaseline(), b -> new ArrayList<>()).add(s);
      }
      for (Map.Entry<String, List<SummaryRecord>> e : byBaseline.entrySet()) {
        Optional<byte[]> png =
            ReportCharts.tradeOff(e.getKey(), e.getValue().get(0).getMetricName(), e.getValue());
        figure(
            png,
            "final metric versus pruning ratio of " + e.getKey(),
            e.getKey() + ": no pruned config with finished runs");
        String note =
            png.isEmpty()
                ? ""
                : ReportCharts.tradeOffNote(e.getValue().get(0).getMetricName(), e.getValue());
        if (!note.isEmpty()) {
          out.append("<p class=\"notes\">").append(escape(note)).append("</p>\n");
        }
      }
    }

    private void seedSpread() {
      out.append("<h2 id=\"spread\">Seed spread</h2>\n");
      for (Map.Entry<String, List<String>> e : configsByModel.entrySet()) {
        String metric = runs.runs(e.getValue().get(0)).get(0).getMetricName();
        Optional<byte[]> png =
            ReportCharts.seedSpread(e.getKey(), metric, e.getValue(), labels, runs);
        figure(png, "seed spread of " + e.getKey(), "no finished run of " + e.getKey());
      }
    }

    private void overTraining(
        ReportCharts.ModelFigure figure,
        String anchor,
        String heading,
        String explanation,
        String missing) {
      out.append("<h2 id=\"").append(anchor).append("\">").append(heading).append("</h2>\n");
      if (!diagnostics.hasDiagnostics()) {
        out.append("<p class=\"missing\">No diagnostics.avro in the report folder: no ")
            .append(missing)
            .append(" to show.</p>\n");
        return;
      }
      out.append("<p>")
          .append(explanation)
          .append(figure == ReportCharts.ModelFigure.KAPPA ? kernelNote() : "")
          .append("</p>\n");
      for (Map.Entry<String, List<String>> e : configsByModel.entrySet()) {
        out.append("<h3>").append(escape(e.getKey())).append("</h3>\n<div class=\"grid\">\n");
        List<String> without = new ArrayList<>();
        for (String config : e.getValue()) {
          Optional<byte[]> png =
              ReportCharts.overTraining(figure, labels.get(config), runs.runs(config), diagnostics);
          if (png.isPresent()) {
            image(png.get(), heading + " of " + config);
          } else {
            without.add(labels.get(config));
          }
        }
        out.append("</div>\n");
        if (!without.isEmpty()) {
          out.append("<p class=\"missing\">No whole-model rows with a finite ")
              .append(missing)
              .append(" for: ")
              .append(escape(String.join("; ", without)))
              .append(".</p>\n");
        }
      }
    }

    private void heatMaps() {
      out.append(
          "<h2 id=\"heatmaps\">Per-structure condition numbers around the first pruning event</h2>\n");
      if (!diagnostics.hasPruneEvents() || !diagnostics.hasDiagnostics()) {
        out.append("<p class=\"missing\">No ")
            .append(!diagnostics.hasPruneEvents() ? "prune_events.avro" : "diagnostics.avro")
            .append(" in the report folder: no heat maps to show.</p>\n");
        return;
      }
      out.append(
          "<p>log10 \u03ba of each structure's kernel (rows: layers, columns: structures), for each config's"
              + " lowest seed that pruned, on one colour scale per pair; black: singular (pruned structures among"
              + " them)."
              + kernelNote()
              + "</p>\n");
      List<String> without = new ArrayList<>();
      for (String config : runs.byConfig().keySet()) {
        Optional<SweepDiagnostics.Snapshot> snapshot = diagnostics.snapshot(config);
        if (snapshot.isEmpty()) {
          if (!runs.runs(config).get(0).getMethod().equals(SweepRuns.DENSE)) {
            without.add(config + " (no pruning event)");
          }
          continue;
        }
        SweepDiagnostics.Snapshot s = snapshot.get();
        RunRecord run = runs.run(s.runId()).orElseThrow();
        out.append("<h3>")
            .append(escape(config))
            .append("</h3>\n<p class=\"meta\">seed ")
            .append(run.getSeed())
            .append(", run ")
            .append(escape(s.runId()))
            .append(", first pruning event at step ")
            .append(s.eventStep())
            .append("</p>\n<div class=\"grid\">\n");
        double[] range = KappaHeatMap.log10Range(List.of(s.before(), s.after()));
        heatMap(s.before(), range, "before: step " + s.beforeStep(), config);
        heatMap(s.after(), range, "after: step " + s.afterStep(), config);
        out.append("</div>\n");
      }
      if (!without.isEmpty()) {
        out.append("<p class=\"missing\">No heat maps for: ")
            .append(escape(String.join("; ", without)))
            .append(".</p>\n");
      }
    }

    /**
     * Which kernel the diagnostics charts show: pntk (the pseudo-NTK), target-logit, projected:k (a
     * trace-NTK estimate) or loss (per-sample loss gradients), from the rows' {@code kernel} field.
     */
    private String kernelNote() {
      java.util.Set<String> kernels = diagnostics.kernels();
      if (kernels.isEmpty()) {
        return "";
      }
      return " Kernel"
          + (kernels.size() == 1 ? ": " : "s (mixed in these rows): ")
          + escape(String.join(", ", kernels))
          + " (pntk: the pseudo-NTK, one scalar per sample, the sum of the"
          + " output logits over \u221aC; loss: per-sample loss gradients; projected:k: a trace-NTK estimate).";
    }

    private void heatMap(List<DiagnosticRecord> rows, double[] range, String title, String config) {
      if (rows.isEmpty()) {
        out.append("<p class=\"missing\">")
            .append(escape(title.replaceAll(": step -1", "")))
            .append(": no diagnosed checkpoint.</p>\n");
        return;
      }
      byte[] png =
          KappaHeatMap.of(rows, range[0], range[1])
              .png("log10 \u03ba (" + rows.get(0).getKernel() + ") " + title);
      image(png, "condition-number heat map " + title + " of " + config);
    }

    private void notes() {
      out.append("<h2 id=\"notes\">Definitions</h2>\n<ul class=\"notes\">\n")
          .append(
              "<li>Statistics are over the FINISHED runs of a config; diverged and failed runs are counted only."
                  + " std: sample standard deviation (n \u2212 1); 95 % CI: Student t with n \u2212 1 degrees of freedom.</li>\n")
          .append(
              "<li>Reached dense: finished runs whose eval metric reached their matched dense run's (same"
                  + " baseline and seed) final eval metric at some evaluation, over those with such a dense run."
                  + " Steps to dense: the first such step. Steps ratio: mean of that step over the dense run's own first"
                  + " step at its final figure. Seconds ratio: mean of the training-step plus pruning seconds to that step"
                  + " over the dense run's seconds to its final step.</li>\n")
          .append(
              "<li>vs dense / vs random: paired over seeds where both finished; \u0394 = mean of (this \u2212 other)"
                  + " final eval metric, p = two-sided paired t-test (bold below 0.05).</li>\n")
          .append(
              "<li>Pruning share: pruning-event seconds over training-step plus pruning-event seconds, summed over"
                  + " finished runs.</li>\n")
          .append(
              diagnostics.hasDiagnostics()
                  ? "<li>diagnostics.avro, MODEL rows: \u03b2 (beta) is the top eigenvalue"
                      + " of the probe loss's Hessian by Lanczos (beta_iterations, beta_converged, beta_method, beta_tolerance); lipschitz_value"
                      + " L<sub>f</sub> the largest per-sample gradient norm; convergence_factor Theorem 6(a)'s 1 \u2212"
                      + " \u00b5/\u03b2, null with convergence_factor_flag unless 0 &lt; \u00b5 \u2264 \u03b2;"
                      + " max_batch_gradient_norm is a norm of batch means, neither constant.</li>\n"
                  : "")
          .append(
              diagnostics.hasDiagnostics()
                  ? "<li>Kernels: pntk is the pseudo-NTK of the model function (Mohamadi"
                      + " et al. 2023: one scalar per sample, the sum of its logits over \u221aC), target-logit the true class's"
                      + " logit, projected:k the mean of k Gaussian output projections (an unbiased trace-NTK), loss the"
                      + " per-sample loss gradients (not the paper's kernel). Proposition 14 of the paper says pruning raises"
                      + " \u03bb<sub>min</sub>(K); removing a structure's Jacobian columns at fixed weights cannot"
                      + " (K \u2212 K<sub>i</sub> \u227c K, checked in polyak's JacobianKernelsTest), so a \u03ba or"
                      + " \u03bb<sub>min</sub> that improves after an event does so through training, not through the removal."
                      + "</li>\n"
                  : "")
          .append("</ul>\n<p class=\"meta\">polyak ")
          .append(escape(PolyakVersion.version()))
          .append(" (git ")
          .append(escape(PolyakVersion.revision()))
          .append("), from runs.avro, metrics.avro, summary.avro")
          .append(diagnostics.hasDiagnostics() ? ", diagnostics.avro" : "")
          .append(diagnostics.hasPruneEvents() ? ", prune_events.avro" : "")
          .append(".</p>\n");
    }

    private void figure(Optional<byte[]> png, String alt, String missing) {
      if (png.isEmpty()) {
        out.append("<p class=\"missing\">").append(escape(missing)).append(".</p>\n");
        return;
      }
      out.append("<figure>");
      image(png.get(), alt);
      out.append("</figure>\n");
    }

    private void image(byte[] png, String alt) {
      out.append("<img src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(png))
          .append("\" alt=\"")
          .append(escape(alt))
          .append("\">\n");
    }
  }

  /**
   * Labels for {@code configs} of one model: each config without the {@code key=value} words that
   * all of them share (the model, a fixed axis); the whole config where nothing would be left.
   */
  static Map<String, String> shortLabels(List<String> configs) {
    TreeSet<String> shared = null;
    for (String c : configs) {
      TreeSet<String> words = new TreeSet<>(List.of(c.trim().split("\\s+")));
      if (shared == null) {
        shared = words;
      } else {
        shared.retainAll(words);
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (String c : configs) {
      List<String> kept = new ArrayList<>();
      for (String word : c.trim().split("\\s+")) {
        if (configs.size() == 1 || !shared.contains(word)) {
          kept.add(word);
        }
      }
      labels.put(c, kept.isEmpty() ? c : String.join(" ", kept));
    }
    return labels;
  }

  /** A figure as the page prints it: four significant digits, plain for everyday magnitudes. */
  public static String format(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    double magnitude = Math.abs(value);
    if (magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e6)) {
      java.math.BigDecimal rounded =
          new java.math.BigDecimal(value).round(new java.math.MathContext(4));
      return rounded.stripTrailingZeros().toPlainString();
    }
    return String.format(Locale.ROOT, "%.3e", value);
  }

  /** {@link #meanStd(double, double)} of {@code stats}, the mean alone for a single value. */
  static String meanStd(Stats stats) {
    return stats.getN() < 2 ? format(stats.getMean()) : meanStd(stats.getMean(), stats.getStd());
  }

  /**
   * {@code mean ± std} with the standard deviation to two significant digits and the mean to the
   * same decimal place ({@link #format} for both without spread).
   */
  static String meanStd(double mean, double std) {
    if (!(std > 0) || Double.isInfinite(std)) {
      return format(mean) + " \u00b1 " + format(std);
    }
    return sameDecimals(mean, std) + " \u00b1 " + sameDecimals(std, std);
  }

  /** {@code value} rounded to the decimal place of {@code std}'s second significant digit. */
  static String sameDecimals(double value, double std) {
    if (!(std > 0) || Double.isInfinite(std) || !Double.isFinite(value)) {
      return format(value);
    }
    int decimals = Math.max(0, Math.min(8, 1 - (int) Math.floor(Math.log10(std))));
    return fixed(value, decimals);
  }

  private static String fixed(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** {@code value} to {@code digits} significant digits, plain. */
  static String significant(double value, int digits) {
    if (value == 0 || !Double.isFinite(value)) {
      return format(value);
    }
    return new java.math.BigDecimal(value).round(new java.math.MathContext(digits)).toPlainString();
  }

  private static String num(String html) {
    return "<td class=\"num\">" + html + "</td>";
  }

  /** {@code text} with HTML's special characters escaped. */
  static String escape(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static final String CSS =
      """
      body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222;
             margin: 24px auto; max-width: 1180px; padding: 0 16px; line-height: 1.4; }
      h1 { font-size: 26px; margin-bottom: 4px; }
      h2 { font-size: 20px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
      h3 { font-size: 15px; margin: 18px 0 4px; font-family: monospace; }
      nav { font-size: 14px; margin: 8px 0 16px; }
      nav a { color: #1f77b4; text-decoration: none; }
      .meta { color: #666; font-size: 13px; margin: 2px 0 8px; }
      .missing { color: #8a6d3b; background: #fcf8e3; border: 1px solid #faebcc; padding: 6px 10px; }
      .scroll { overflow-x: auto; }
      table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
      th { background: #f3f3f3; text-align: left; font-weight: 600; }
      th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
      tbody tr:nth-child(even) { background: #fafafa; }
      td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
      td.config, td.id { font-family: monospace; font-size: 12px; }
      td.config { white-space: nowrap; }
      td.id { word-break: break-all; max-width: 220px; }
      td.error { font-family: monospace; font-size: 12px; white-space: pre-wrap; max-width: 420px; }
      tr.diverged td:nth-child(3) { color: #b35900; font-weight: 600; }
      tr.failed td:nth-child(3) { color: #c00; font-weight: 600; }
      tr.partial td:nth-child(3) { color: #31708f; font-weight: 600; }
      .partial { color: #31708f; background: #d9edf7; border: 1px solid #bce8f1; padding: 6px 10px; }
      .unit { color: #888; font-size: 11px; }
      figure { margin: 8px 0 16px; }
      img { max-width: 100%; height: auto; border: 1px solid #eee; }
      .grid { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
      .notes { font-size: 13px; color: #444; }
      td.supported { color: #1a7f37; font-weight: 600; }
      td.contradicted { color: #c00; font-weight: 600; }
      td.inconclusive { color: #666; font-weight: 600; }
      """;
}
