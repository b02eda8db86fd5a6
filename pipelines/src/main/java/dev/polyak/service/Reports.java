package dev.polyak.service;

import dev.polyak.BadInputException;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.report.HtmlReport;
import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ClaimVerdicts;
import dev.polyak.summary.SweepSummary;
import dev.polyak.sweep.Claims;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep's report: summary.avro and report.html from its report folder's Avro files, and the
 * compact table.
 */
public final class Reports {
  private Reports() {}

  /**
   * Writes {@code <sweep>/report/summary.avro}, {@code claims.avro} (the claims of {@code
   * <sweep>/sweep.yaml}) and {@code report.html} anew from the Avro files there.
   *
   * @throws BadInputException when the folder has no {@code report/} folder, or a report file is
   *     damaged
   */
  public static SweepReport regenerate(Path sweep) {
    Path folder = sweep.resolve(SweepPipeline.REPORT);
    if (!Files.isDirectory(folder)) {
      throw new BadInputException(
          folder + ": no such folder (polyak report reads the sweep's report/*.avro)");
    }
    List<SummaryRecord> summary = SweepSummary.write(folder);
    ClaimVerdicts.write(folder, Claims.ofSweepFolder(sweep));
    return new SweepReport(folder, HtmlReport.write(folder), summary);
  }

  /**
   * The claims' verdicts, one line each: {@code claim <id>: <VERDICT>, <statistic> <config
   * selector> vs <against selector>: estimate [95 % interval] (n pairs)}; empty without claims.
   */
  public static String claimsTable(List<ClaimRecord> claims) {
    StringBuilder table = new StringBuilder();
    for (ClaimRecord c : claims) {
      table
          .append("claim ")
          .append(c.getId())
          .append(": ")
          .append(c.getVerdict())
          .append(", ")
          .append(c.getStatistic())
          .append(' ')
          .append(c.getConfigSelector())
          .append(" vs ")
          .append(c.getAgainstSelector())
          .append(" (")
          .append(c.getDirection())
          .append(" claimed): ")
          .append(c.getEstimate() == null ? "no estimate" : HtmlReport.format(c.getEstimate()))
          .append(
              c.getCi95Low() == null
                  ? ""
                  : " ["
                      + HtmlReport.format(c.getCi95Low())
                      + ", "
                      + HtmlReport.format(c.getCi95High())
                      + "]")
          .append(" (n = ")
          .append(c.getPairs())
          .append(")\n");
    }
    return table.toString();
  }

  /** The compact table: config | finished | final eval mean ± std | vs dense p, columns padded. */
  public static String table(List<SummaryRecord> summary) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"config", "finished", "final eval (mean +- std)", "vs dense p"});
    for (SummaryRecord s : summary) {
      Stats eval = s.getFinalEvalMetric();
      PairedComparison dense = s.getVersusDense();
      rows.add(
          new String[] {
            s.getConfig(),
            s.getFinished() + "/" + s.getRuns(),
            eval == null
                ? "-"
                : HtmlReport.format(eval.getMean())
                    + " +- "
                    + HtmlReport.format(eval.getStd())
                    + " "
                    + s.getMetricName(),
            dense == null || dense.getPValue() == null ? "-" : HtmlReport.format(dense.getPValue())
          });
    }
    int[] widths = new int[4];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder table = new StringBuilder();
    for (String[] row : rows) {
      table
          .append(
              String.format(
                      Locale.ROOT,
                      "%-" + widths[0] + "s | %" + widths[1] + "s | %-" + widths[2] + "s | %s",
                      row[0],
                      row[1],
                      row[2],
                      row[3])
                  .stripTrailing())
          .append('\n');
    }
    return table.toString();
  }
}
