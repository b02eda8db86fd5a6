package dev.polyak.service;

import dev.polyak.schemas.ClaimRecord;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A sweep's report as written to its {@code report/} folder: what {@link Sweeps#run} and {@link
 * Reports#regenerate} return.
 *
 * @param folder the report folder ({@code <sweep>/report})
 * @param html its {@code report.html}
 * @param summary {@code summary.avro}'s records, one per config, sorted by config
 */
public record SweepReport(Path folder, Path html, List<SummaryRecord> summary) {
  public SweepReport {
    summary = List.copyOf(summary);
  }

  /** {@code summary.avro}. */
  public Path summaryFile() {
    return folder.resolve(ReportFiles.SUMMARY);
  }

  /** Runs recorded FAILED, over every config. */
  public long failedRuns() {
    return summary.stream().mapToLong(SummaryRecord::getFailed).sum();
  }

  /** The compact table of {@link Reports#table}. */
  public String table() {
    return Reports.table(summary);
  }

  /** {@code claims.avro}'s verdicts, in the sweep file's order (none without the file). */
  public List<ClaimRecord> claims() {
    Path file = folder.resolve(ReportFiles.CLAIMS);
    return Files.exists(file) ? ReportFiles.readAll(file, ClaimRecord.class) : List.of();
  }

  /** The verdicts of {@link Reports#claimsTable}; empty without claims. */
  public String claimsTable() {
    return Reports.claimsTable(claims());
  }
}
