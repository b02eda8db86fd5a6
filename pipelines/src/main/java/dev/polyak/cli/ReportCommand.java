package dev.polyak.cli;

import dev.polyak.BadInputException;
import dev.polyak.report.HtmlReport;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import dev.polyak.summary.SweepSummary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak report}: summary.avro and report.html of a sweep, from its report folder's Avro files alone. */
@Command(name = "report",
    description = {
        "Regenerate a sweep's summary.avro and report.html.",
        "Regenerates <sweep>/report/summary.avro (per config across seeds: statistics with 95 %% confidence"
            + " intervals, steps and seconds to the dense run's final eval metric, paired t-tests against dense and"
            + " random) and <sweep>/report/report.html (one self-contained page: summary, failed runs, training"
            + " curves, metric vs ratio, seed spread, condition numbers) from runs.avro and metrics.avro, and"
            + " diagnostics.avro and prune_events.avro where present.",
        "Prints the page's path and a compact table: config | finished | final eval mean +- std | vs dense p."})
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--sweep", required = true, description = "The sweep's output folder (its report/ folder is read).")
  Path sweep;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Path reportDir = sweep.resolve("report");
    if (!Files.isDirectory(reportDir)) {
      throw new BadInputException(reportDir + ": no such folder (polyak report reads the sweep's report/*.avro)");
    }
    List<SummaryRecord> summary = SweepSummary.write(reportDir);
    Path html = HtmlReport.write(reportDir);
    PrintWriter console = spec.commandLine().getOut();
    console.printf("summary: %s%n", reportDir.resolve(ReportFiles.SUMMARY));
    console.printf("report: %s%n", html);
    console.print(table(summary));
    console.flush();
    return 0;
  }

  /** The compact table: config | finished | final eval mean ± std | vs dense p, columns padded. */
  static String table(List<SummaryRecord> summary) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"config", "finished", "final eval (mean +- std)", "vs dense p"});
    for (SummaryRecord s : summary) {
      Stats eval = s.getFinalEvalMetric();
      PairedComparison dense = s.getVersusDense();
      rows.add(new String[] {
        s.getConfig(),
        s.getFinished() + "/" + s.getRuns(),
        eval == null ? "-" : HtmlReport.format(eval.getMean()) + " +- " + HtmlReport.format(eval.getStd()) + " "
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
      table.append(String.format(Locale.ROOT, "%-" + widths[0] + "s | %" + widths[1] + "s | %-" + widths[2] + "s | %s",
          row[0], row[1], row[2], row[3]).stripTrailing()).append('\n');
    }
    return table.toString();
  }
}
