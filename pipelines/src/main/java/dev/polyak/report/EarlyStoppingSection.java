package dev.polyak.report;

import dev.polyak.summary.EarlyStoppingSummary;
import java.util.List;
import java.util.Locale;

/**
 * The early-stopping section of {@code report.html}: per config, the runs stopped at each rung, the
 * steps and seconds saved against training every run to the end, and the rank correlation of each
 * rung's signal with the final metric. Empty for a sweep without early stopping.
 */
final class EarlyStoppingSection {
  private EarlyStoppingSection() {}

  static String html(List<EarlyStoppingSummary.Config> configs) {
    if (configs.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    out.append("<h2 id=\"early-stopping\">Early stopping</h2>\n")
        .append(
            "<p>ASHA stopped these runs at a rung (status STOPPED, left out of the summary's"
                + " statistics; <code>polyak sweep --rerun-stopped</code> resumes them). Saved:"
                + " the steps the stopped runs did not train, and those steps at each run's own"
                + " mean step time, against training every run to the end. Spearman: the rank"
                + " correlation between the signal at the rung and the final eval metric across"
                + " the runs that finished (only the survivors, unless stopped runs were resumed;"
                + " n &lt; 3 gives none).</p>\n")
        .append("<div class=\"scroll\"><table>\n<thead><tr><th>config</th><th>rung</th>")
        .append("<th>signal</th><th>reached</th><th>stopped</th><th>Spearman (n)</th>")
        .append("<th>steps saved</th><th>seconds saved</th></tr></thead>\n<tbody>\n");
    for (EarlyStoppingSummary.Config c : configs) {
      boolean first = true;
      for (EarlyStoppingSummary.Rung r : c.rungs()) {
        out.append("<tr><td class=\"config\">")
            .append(first ? HtmlReport.escape(c.config()) : "")
            .append("</td><td class=\"num\">")
            .append(r.rung())
            .append("</td><td>")
            .append(r.signal())
            .append("</td><td class=\"num\">")
            .append(r.reached())
            .append("</td><td class=\"num\">")
            .append(r.stopped())
            .append("</td><td class=\"num\">")
            .append(
                Double.isNaN(r.spearman())
                    ? "\u2013 (" + r.correlated() + ")"
                    : String.format(Locale.ROOT, "%.2f (%d)", r.spearman(), r.correlated()))
            .append("</td><td class=\"num\">")
            .append(
                first
                    ? String.format(
                        Locale.ROOT,
                        "%,d of %,d (%.0f %%)",
                        c.stepsSaved(),
                        c.stepsToEnd(),
                        c.stepsToEnd() == 0 ? 0.0 : 100.0 * c.stepsSaved() / c.stepsToEnd())
                    : "")
            .append("</td><td class=\"num\">")
            .append(first ? HtmlReport.format(c.secondsSaved()) : "")
            .append("</td></tr>\n");
        first = false;
      }
    }
    return out.append("</tbody></table></div>\n").toString();
  }
}
