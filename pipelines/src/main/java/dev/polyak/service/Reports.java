package dev.polyak.service;

import dev.polyak.BadInputException;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.io.FolderLock;
import dev.polyak.data.io.LockHolder;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.report.HtmlReport;
import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ClaimVerdicts;
import dev.polyak.summary.EarlyStoppingSummary;
import dev.polyak.summary.ReportFiles;
import dev.polyak.summary.SweepSummary;
import dev.polyak.sweep.Claims;
import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunRecords;
import dev.polyak.train.RunSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A sweep's report: summary.avro and report.html from a report folder's Avro files, and the compact
 * table. The sweep job's report ({@code <sweep>/report/}) and a partial one ({@code
 * <sweep>/report-partial/}, from the run folders while the job runs or after it was killed) go
 * through the same {@link #write}.
 */
public final class Reports {
  /**
   * {@code <sweep>/report-partial}: the partial report's folder, apart from the job's {@code
   * report/} so that neither overwrites the other.
   */
  public static final String PARTIAL = "report-partial";

  private Reports() {}

  /**
   * Writes {@code <reportFolder>/summary.avro}, {@code claims.avro} (the claims of the sweep
   * folder's {@code sweep.yaml}) and {@code report.html} (each atomically) from the Avro files
   * there: the one way a sweep's report is made, at the end of its job, by {@code polyak report}
   * and by a partial report.
   */
  public static SweepReport write(Path reportFolder) {
    return write(reportFolder, Optional.empty());
  }

  /**
   * {@link #write(Path)}, with the early stopping of the sweep compared with {@code fullSweep}: the
   * folder of a sweep of the same cells trained to the end ({@code polyak report --full-sweep}).
   *
   * @throws BadInputException when {@code fullSweep} has no report/runs.avro, stopped runs early,
   *     or holds none of this sweep's runs
   */
  public static SweepReport write(Path reportFolder, Optional<Path> fullSweep) {
    Optional<EarlyStoppingSummary.FullSweep> full =
        fullSweep.map(f -> EarlyStoppingSummary.FullSweep.read(f, f.resolve(SweepPipeline.REPORT)));
    List<SummaryRecord> summary = SweepSummary.write(reportFolder, full);
    ClaimVerdicts.write(reportFolder, Claims.ofSweepFolder(reportFolder.getParent()));
    return new SweepReport(reportFolder, HtmlReport.write(reportFolder), summary);
  }

  /**
   * Writes {@code <sweep>/report/summary.avro} and {@code report.html} anew from the Avro files
   * there.
   *
   * @throws BadInputException when the folder has no {@code report/} folder, or a report file is
   *     damaged
   */
  public static SweepReport regenerate(Path sweep, Optional<Path> fullSweep) {
    Path folder = sweep.resolve(SweepPipeline.REPORT);
    if (!Files.isDirectory(folder)) {
      throw new BadInputException(
          folder + ": no such folder (polyak report reads the sweep's report/*.avro)");
    }
    return write(folder, fullSweep);
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

  /**
   * Whether {@code sweep}'s job has started (it wrote {@code cells.avro}) and its report is missing
   * or older than it: no {@code report/runs.avro}, a live process holding the sweep folder, or a
   * {@code cells.avro} newer than {@code runs.avro} (the job was started again and has not ended).
   */
  public static boolean inProgress(Path sweep) {
    Path runs = sweep.resolve(SweepPipeline.REPORT).resolve(ReportFiles.RUNS);
    Path cells = sweep.resolve(SweepPipeline.CELLS);
    if (!Files.isRegularFile(cells)) {
      return false;
    }
    try {
      return !Files.exists(runs)
          || FolderLock.holder(sweep).isPresent()
          || Files.getLastModifiedTime(cells).compareTo(Files.getLastModifiedTime(runs)) > 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the times of " + cells + " and " + runs, e);
    }
  }

  /**
   * A partial report and what it covers.
   *
   * @param report the report written to {@code <sweep>/report-partial/}
   * @param job the live process holding the sweep folder (the running job), if any
   * @param runs every run's record: FINISHED, DIVERGED, FAILED or PARTIAL
   */
  public record PartialReport(SweepReport report, Optional<LockHolder> job, List<RunRecord> runs) {
    public PartialReport {
      runs = List.copyOf(runs);
    }

    /** The runs without an outcome yet. */
    public List<RunRecord> unfinished() {
      return runs.stream().filter(r -> r.getStatus() == RunStatus.PARTIAL).toList();
    }
  }

  /**
   * Writes a report of {@code sweep} from its run folders to {@code <sweep>/report-partial/}:
   * finished, diverged and failed runs as the job would record them, runs without an outcome
   * (training, interrupted, not started) as PARTIAL up to their last evaluation. Reads the job's
   * {@code cells.avro} and the run folders and writes nothing else: no lock is taken, so the
   * running job is not disturbed. Each file is replaced atomically; diagnostics are left out (the
   * job computes them at its end).
   *
   * @throws BadInputException when {@code cells.avro} is missing (the job was never started, or by
   *     a polyak before 0.x) or a run folder's file is damaged
   */
  public static PartialReport partial(Path sweep, Optional<Path> fullSweep) {
    Path cells = sweep.resolve(SweepPipeline.CELLS);
    if (!Files.isRegularFile(cells)) {
      throw new BadInputException(
          cells
              + ": no such file (a sweep job writes its cells there as it starts; this folder holds"
              + " no job started by this version of polyak)");
    }
    Optional<LockHolder> job = FolderLock.holder(sweep);
    List<RunRecord> runs = new ArrayList<>();
    List<MetricRow> metrics = new ArrayList<>();
    List<PruneEvent> events = new ArrayList<>();
    for (RunTask task : AvroFiles.read(cells, RunTask.class)) {
      RunFolder folder = new RunFolder(sweep.resolve("runs").resolve(task.getRunId()));
      RunRecords.Snapshot snapshot =
          RunRecords.read(task, RunSpec.parse(task.getRunYaml(), null), folder, true);
      snapshot.run().ifPresent(runs::add);
      metrics.addAll(snapshot.metrics());
      events.addAll(snapshot.events());
    }
    Path folder = sweep.resolve(PARTIAL);
    AvroFiles.write(folder.resolve(ReportFiles.RUNS), RunRecord.class, runs);
    AvroFiles.write(folder.resolve(ReportFiles.METRICS), MetricRow.class, metrics);
    AvroFiles.write(folder.resolve(ReportFiles.PRUNE_EVENTS), PruneEvent.class, events);
    try {
      Files.deleteIfExists(folder.resolve(ReportFiles.DIAGNOSTICS));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + folder.resolve(ReportFiles.DIAGNOSTICS), e);
    }
    return new PartialReport(write(folder, fullSweep), job, runs);
  }

  /**
   * The compact table: config | finished | final eval mean ± std | vs dense p, columns padded; in a
   * partial report the finished column says how many runs are partial ("1/3 +2 partial").
   */
  public static String table(List<SummaryRecord> summary) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"config", "finished", "final eval (mean +- std)", "vs dense p"});
    for (SummaryRecord s : summary) {
      Stats eval = s.getFinalEvalMetric();
      PairedComparison dense = s.getVersusDense();
      rows.add(
          new String[] {
            s.getConfig(),
            s.getFinished()
                + "/"
                + s.getRuns()
                + (s.getPartial() > 0 ? " +" + s.getPartial() + " partial" : ""),
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
