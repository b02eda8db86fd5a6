package dev.polyak.cli;

import dev.polyak.report.HtmlReport;
import dev.polyak.schemas.RunRecord;
import dev.polyak.service.Reports;
import dev.polyak.service.SweepReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak report}: summary.avro and report.html of a sweep, from its report folder's Avro
 * files alone; while the sweep's job runs (or after it was killed) a partial report from its run
 * folders.
 */
@Command(
    name = "report",
    description = {
      "Regenerate a sweep's report, or report on a running sweep.",
      "Regenerates <sweep>/report/summary.avro (per config across seeds: statistics with 95 %%"
          + " confidence intervals, steps and seconds to the dense run's final eval metric, paired"
          + " t-tests against dense and random) and <sweep>/report/report.html (one self-contained"
          + " page: summary, failed runs, training curves, metric vs ratio, seed spread, condition"
          + " numbers) from runs.avro and metrics.avro, and diagnostics.avro and prune_events.avro"
          + " where present.",
      "While the sweep's job runs, or when it was killed before writing its report, it writes a"
          + " partial report to <sweep>/report-partial/ instead, from the run folders: finished,"
          + " diverged and failed runs as the job records them, the others marked PARTIAL up to"
          + " their last evaluation (no diagnostics). It takes no lock and writes nothing into the"
          + " runs, so the job is not disturbed.",
      "Prints the page's path and a compact table: config | finished | final eval mean +- std | vs"
          + " dense p."
    })
final class ReportCommand implements Callable<Integer> {
  @Option(
      names = "--sweep",
      required = true,
      description =
          "The sweep's output folder (its report/ folder is read; its run folders while the job"
              + " runs).")
  Path sweep;

  @Option(
      names = "--partial",
      description =
          "Report from the run folders into <sweep>/report-partial/ even when the job's report is"
              + " complete (default: only while the job runs or when its report is missing or older"
              + " than its last start).")
  boolean partial;

  @Option(
      names = "--full-sweep",
      paramLabel = "DIR",
      description =
          "A sweep with early_stopping only: the folder of a sweep of the same cells trained to the"
              + " end (the same sweep file without early_stopping). The summary and the page then"
              + " say per config whether its best seed there got through every rung, and correlate"
              + " each rung's signal with the final metrics there, stopped runs included.")
  Path fullSweep;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter console = spec.commandLine().getOut();
    SweepReport report;
    if (partial || Reports.inProgress(sweep)) {
      Reports.PartialReport live = Reports.partial(sweep, Optional.ofNullable(fullSweep));
      report = live.report();
      List<RunRecord> unfinished = live.unfinished();
      console.printf(
          "partial report: %s; %d of %d runs without an outcome yet%n",
          live.job()
              .map(h -> "the sweep is running (" + h.describe() + ")")
              .orElse("no process holds the sweep folder (its job ended or was killed)"),
          unfinished.size(),
          live.runs().size());
      long notStarted = 0;
      for (RunRecord r : unfinished) {
        if (r.getAttempts() == 0) {
          notStarted++;
          continue;
        }
        console.printf(
            "  %s  %s seed=%d: step %d/%d%s%n",
            r.getRunId().substring(0, Math.min(16, r.getRunId().length())),
            r.getConfig(),
            r.getSeed(),
            r.getLastGoodStep(),
            r.getSteps(),
            r.getFinalEvalMetric() == null
                ? ""
                : ", " + r.getMetricName() + " " + HtmlReport.format(r.getFinalEvalMetric()));
      }
      if (notStarted > 0) {
        console.printf("  %d not started%n", notStarted);
      }
    } else {
      report = Reports.regenerate(sweep, Optional.ofNullable(fullSweep));
    }
    console.printf("summary: %s%n", report.summaryFile());
    console.printf("report: %s%n", report.html());
    console.print(report.table());
    console.print(report.claimsTable());
    console.flush();
    return 0;
  }
}
