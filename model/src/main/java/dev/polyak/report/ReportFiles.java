package dev.polyak.report;

import dev.polyak.data.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
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
  /** The static page written by the pipelines module's {@code HtmlReport}. */
  public static final String HTML = "report.html";

  private static final int SYNC_SIZE = 16;

  private ReportFiles() {}

  /**
   * Hands every record of {@code file} to {@code action}, in file order, without keeping them.
   *
   * @throws BadInputException naming the file (and how many records were read before the damage)
   *     if it is missing, truncated or not an Avro file of {@code type} records
   */
  public static <T extends SpecificRecord> long forEach(Path file, Class<T> type, Consumer<? super T> action) {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(file + ": no such file (the sweep's report folder must hold it)");
    }
    long count = 0;
    try (DataFileReader<T> reader = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
      if (!reader.getSchema().getFullName().equals(type.getName())) {
        throw new BadInputException(file + ": holds " + reader.getSchema().getFullName() + " records, not "
            + type.getSimpleName());
      }
      long headerEnd = reader.previousSync();
      while (reader.hasNext()) {
        T record = reader.next();
        count++;
        action.accept(record);
      }
      requireWhole(file, headerEnd, count);
    } catch (IOException | org.apache.avro.AvroRuntimeException e) {
      throw new BadInputException(file + ": not a readable Avro file of " + type.getSimpleName() + " records (after "
          + count + " good records): " + e.getMessage(), e);
    }
    return count;
  }

  /**
   * Avro's reader ends quietly at a block cut short (it takes the end of file for the end of the
   * data), so a truncated file would lose its last records unnoticed. Every block of a container file
   * ends with the sync marker that closes its header, so a whole file ends with that marker.
   */
  private static void requireWhole(Path file, long headerEnd, long count) throws IOException {
    try (java.io.RandomAccessFile raw = new java.io.RandomAccessFile(file.toFile(), "r")) {
      byte[] sync = new byte[SYNC_SIZE];
      byte[] tail = new byte[SYNC_SIZE];
      raw.seek(headerEnd - SYNC_SIZE);
      raw.readFully(sync);
      raw.seek(raw.length() - SYNC_SIZE);
      raw.readFully(tail);
      if (!java.util.Arrays.equals(sync, tail)) {
        throw new BadInputException(file + ": truncated Avro file (its last block is cut short after " + count
            + " good records)");
      }
    }
  }

  /** Every record of {@code file}, in file order; errors as {@link #forEach}. */
  public static <T extends SpecificRecord> List<T> readAll(Path file, Class<T> type) {
    List<T> records = new ArrayList<>();
    forEach(file, type, records::add);
    return records;
  }
}
