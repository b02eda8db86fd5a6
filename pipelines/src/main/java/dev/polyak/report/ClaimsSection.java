package dev.polyak.report;

import dev.polyak.schemas.ClaimRecord;
import java.util.List;
import java.util.Locale;

/**
 * The "Claims" section of report.html: one row per claims.avro record with the claim, what is
 * compared, the estimate with its 95 % interval, and the verdict with its reason. Empty without
 * claims (a sweep file without a {@code claims:} block).
 */
final class ClaimsSection {
  private ClaimsSection() {}

  /** The section's HTML; "" without claims. */
  static String html(List<ClaimRecord> claims) {
    if (claims.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    out.append("<h2 id=\"claims\">Claims</h2>\n")
        .append(
            "<p>The claims of the sweep file, tested on these runs. A config run is paired with")
        .append(" the run it is compared with of the same seed (and the same other axes); the")
        .append(" estimate is the mean paired difference config \u2212 against with its 95 % t")
        .append(" interval (for a seed spread: the ratio of standard deviations with its F")
        .append(" interval). <b>Supported</b>: the interval lies entirely on the side the paper")
        .append(" claims; <b>contradicted</b>: entirely on the other side; otherwise, or with")
        .append(" fewer than two pairs, <b>inconclusive at this scale</b>.</p>\n")
        .append("<div class=\"scroll\"><table class=\"claims\">\n<thead><tr>")
        .append("<th>claim</th><th>statistic</th><th>config vs against</th>")
        .append("<th>pairs</th><th>config<br><span class=\"unit\">mean</span></th>")
        .append("<th>against<br><span class=\"unit\">mean</span></th>")
        .append("<th>estimate<br><span class=\"unit\">[95 % interval]</span></th>")
        .append("<th>verdict</th><th>why</th></tr></thead>\n<tbody>\n");
    for (ClaimRecord c : claims) {
      String verdict = c.getVerdict().name().toLowerCase(Locale.ROOT);
      out.append("<tr id=\"claim-")
          .append(HtmlReport.escape(c.getId()))
          .append("\"><td><b>")
          .append(HtmlReport.escape(c.getId()))
          .append("</b><br>")
          .append(HtmlReport.escape(c.getText()))
          .append(
              c.getPaper() == null
                  ? ""
                  : "<br><span class=\"unit\">paper: "
                      + HtmlReport.escape(c.getPaper())
                      + "</span>")
          .append("</td><td class=\"config\">")
          .append(HtmlReport.escape(c.getStatistic()))
          .append("<br><span class=\"unit\">")
          .append(HtmlReport.escape(c.getUnit()))
          .append(", ")
          .append(HtmlReport.escape(c.getDirection()))
          .append(" claimed</span></td><td class=\"config\" title=\"")
          .append(HtmlReport.escape(String.join("; ", c.getConfigs())))
          .append(" vs ")
          .append(HtmlReport.escape(String.join("; ", c.getAgainstConfigs())))
          .append("\">")
          .append(HtmlReport.escape(c.getConfigSelector()))
          .append("<br>vs ")
          .append(HtmlReport.escape(c.getAgainstSelector()))
          .append("</td>")
          .append(num(Integer.toString(c.getPairs())))
          .append(num(figure(c.getConfigMean())))
          .append(num(figure(c.getAgainstMean())))
          .append(
              num(
                  figure(c.getEstimate())
                      + (c.getCi95Low() == null
                          ? ""
                          : "<br><span class=\"unit\">["
                              + HtmlReport.format(c.getCi95Low())
                              + ", "
                              + HtmlReport.format(c.getCi95High())
                              + "]</span>")))
          .append("<td class=\"")
          .append(verdict)
          .append("\">")
          .append(
              c.getVerdict() == dev.polyak.schemas.ClaimVerdict.INCONCLUSIVE
                  ? "inconclusive at this scale"
                  : verdict)
          .append("</td><td>")
          .append(HtmlReport.escape(c.getReason()))
          .append("</td></tr>\n");
    }
    return out.append("</tbody></table></div>\n").toString();
  }

  private static String figure(Double value) {
    return value == null ? "\u2013" : HtmlReport.format(value);
  }

  private static String num(String html) {
    return "<td class=\"num\">" + html + "</td>";
  }
}
