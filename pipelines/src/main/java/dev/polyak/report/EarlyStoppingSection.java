package dev.polyak.report;

import dev.polyak.schemas.EarlyStoppingStats;
import dev.polyak.schemas.FullSweepComparison;
import dev.polyak.schemas.RungStats;
import dev.polyak.schemas.SummaryRecord;
import java.util.List;
import java.util.Locale;

/**
 * The early-stopping section of {@code report.html}, from summary.avro's {@code early_stopping}
 * fields: per config, the runs stopped at each rung, the steps and seconds saved against training
 * every run to the end, the rank correlation of each rung's signal with the final metric, and, when
 * the report was given a full sweep of the same cells, whether its best seed survived and the
 * correlation with the full sweep's final metrics. Empty for a sweep without early stopping.
 */
final class EarlyStoppingSection {
  private EarlyStoppingSection() {}

  static String html(List<SummaryRecord> summary) {
    List<SummaryRecord> configs =
        summary.stream().filter(s -> s.getEarlyStopping() != null).toList();
    if (configs.isEmpty()) {
      return "";
    }
    boolean full = configs.stream().anyMatch(s -> s.getEarlyStopping().getFullSweep() != null);
    StringBuilder out = new StringBuilder();
    out.append("<h2 id=\"early-stopping\">Early stopping</h2>\n")
        .append(
            "<p>ASHA stopped these runs at a rung (status STOPPED, left out of the summary's"
                + " statistics; <code>polyak sweep --rerun-stopped</code> resumes them). Saved:"
                + " the steps the stopped runs did not train, and those steps at each run's own"
                + " mean step time, against training every run to the end. Spearman: the rank"
                + " correlation between the signal at the rung and the final eval metric across"
                + " the runs that finished (only the survivors, unless stopped runs were resumed;"
                + " n &lt; 3 gives none).");
    if (full) {
      out.append(
          " Against the full sweep (<code>polyak report --full-sweep</code>, the same cells"
              + " trained to the end): the same correlation with the final eval metric each run"
              + " reached there, over every run that reached the rung, stopped ones included;"
              + " and whether the full sweep's best seed of the config got through every rung.");
    }
    out.append("</p>\n")
        .append("<div class=\"scroll\"><table>\n<thead><tr><th>config</th><th>rung</th>")
        .append("<th>signal</th><th>reached</th><th>stopped</th><th>Spearman (n)</th>");
    if (full) {
      out.append("<th>Spearman vs full sweep (n)</th><th>full sweep's best seed</th>");
    }
    out.append("<th>steps saved</th><th>seconds saved</th></tr></thead>\n<tbody>\n");
    for (SummaryRecord s : configs) {
      EarlyStoppingStats e = s.getEarlyStopping();
      boolean first = true;
      for (RungStats r : e.getRungs()) {
        out.append("<tr><td class=\"config\">")
            .append(first ? HtmlReport.escape(s.getConfig()) : "")
            .append("</td><td class=\"num\">")
            .append(r.getRung())
            .append("</td><td>")
            .append(r.getSignal())
            .append("</td><td class=\"num\">")
            .append(r.getReached())
            .append("</td><td class=\"num\">")
            .append(r.getStopped())
            .append("</td><td class=\"num\">")
            .append(correlation(r.getSpearman(), r.getCorrelated()));
        if (full) {
          out.append("</td><td class=\"num\">")
              .append(correlation(r.getFullSpearman(), r.getFullCorrelated()))
              .append("</td><td>")
              .append(first ? best(e.getFullSweep(), s.getMetricName()) : "");
        }
        out.append("</td><td class=\"num\">")
            .append(
                first
                    ? String.format(
                        Locale.ROOT,
                        "%,d of %,d (%.0f %%)",
                        e.getStepsSaved(),
                        e.getStepsToEnd(),
                        e.getStepsToEnd() == 0
                            ? 0.0
                            : 100.0 * e.getStepsSaved() / e.getStepsToEnd())
                    : "")
            .append("</td><td class=\"num\">")
            .append(first ? HtmlReport.format(e.getSecondsSaved()) : "")
            .append("</td></tr>\n");
        first = false;
      }
    }
    return out.append("</tbody></table></div>\n").toString();
  }

  private static String correlation(Double rho, int n) {
    return rho == null ? "\u2013 (" + n + ")" : String.format(Locale.ROOT, "%.2f (%d)", rho, n);
  }

  /** "seed 3 (12.5 perplexity): survived" / "stopped at 40" / "no outcome yet". */
  private static String best(FullSweepComparison c, String metricName) {
    if (c == null) {
      return "not in the full sweep";
    }
    String verdict =
        c.getBestSurvived() == null
            ? "no outcome yet"
            : c.getBestSurvived() ? "survived" : "stopped at " + c.getBestStoppedAtRung();
    return String.format(
        Locale.ROOT,
        "seed %d (%s %s, best of %d): %s",
        c.getBestSeed(),
        HtmlReport.format(c.getBestFinalEvalMetric()),
        HtmlReport.escape(metricName),
        c.getMatched(),
        verdict);
  }
}
