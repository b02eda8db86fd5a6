package dev.polyak.cli;

import dev.polyak.service.Reports;
import dev.polyak.service.SweepReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak report}: summary.avro and report.html of a sweep, from its report folder's Avro
 * files alone.
 */
@Command(
    name = "report",
    description = {
      "Regenerate a sweep's summary.avro and report.html.",
      "Regenerates <sweep>/report/summary.avro (per config across seeds: statistics with 95 %% confidence"
          + " intervals, steps and seconds to the dense run's final eval metric, paired t-tests against dense and"
          + " random) and <sweep>/report/report.html (one self-contained page: summary, failed runs, training"
          + " curves, metric vs ratio, seed spread, condition numbers) from runs.avro and metrics.avro, and"
          + " diagnostics.avro and prune_events.avro where present.",
      "Prints the page's path and a compact table: config | finished | final eval mean +- std | vs dense p."
    })
final class ReportCommand implements Callable<Integer> {
  @Option(
      names = "--sweep",
      required = true,
      description = "The sweep's output folder (its report/ folder is read).")
  Path sweep;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    SweepReport report = Reports.regenerate(sweep);
    PrintWriter console = spec.commandLine().getOut();
    console.printf("summary: %s%n", report.summaryFile());
    console.printf("report: %s%n", report.html());
    console.print(report.table());
    console.print(report.claimsTable());
    console.flush();
    return 0;
  }
}
