package dev.polyak.summary;

import dev.polyak.BadInputException;
import dev.polyak.data.io.AvroFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;

/**
 * The Avro container files of a sweep's {@code report/} folder, and reading them one record at a
 * time so that a report over millions of rows holds none of them it does not keep.
 */
public final class ReportFiles {
  /** One {@code RunRecord} per run. */
  public static final String RUNS = "runs.avro";

  /** One {@code MetricRow} per (run, evaluation step). */
  public static final String METRICS = "metrics.avro";

  /** {@code DiagnosticRecord} rows per (run, checkpoint step, structure); optional. */
  public static final String DIAGNOSTICS = "diagnostics.avro";

  /** One {@code PruneEvent} per (run, event); optional. */
  public static final String PRUNE_EVENTS = "prune_events.avro";

  /** One {@code SummaryRecord} per config, written by {@link SweepSummary#write}. */
  public static final String SUMMARY = "summary.avro";

  /**
   * One {@code ClaimRecord} per claim of the sweep file, written by {@link ClaimVerdicts#write}.
   */
  public static final String CLAIMS = "claims.avro";

  /** Early stopping's decisions, one per (run, rung); absent in sweeps written before it. */
  public static final String EARLY_STOPPING = "early_stopping.avro";

  /** The static page written by the pipelines module's {@code HtmlReport}. */
  public static final String HTML = "report.html";

  private ReportFiles() {}

  /**
   * Hands every record of {@code file} to {@code action}, in file order, without keeping them.
   *
   * @throws BadInputException naming the file (and how many records were read before the damage) if
   *     it is missing, truncated or not an Avro file of {@code type} records
   */
  public static <T extends SpecificRecord> long forEach(
      Path file, Class<T> type, Consumer<? super T> action) {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(file + ": no such file (the sweep's report folder must hold it)");
    }
    return AvroFiles.forEach(file, type, action);
  }

  /** Every record of {@code file}, in file order; errors as {@link #forEach}. */
  public static <T extends SpecificRecord> List<T> readAll(Path file, Class<T> type) {
    List<T> records = new ArrayList<>();
    forEach(file, type, records::add);
    return records;
  }
}
