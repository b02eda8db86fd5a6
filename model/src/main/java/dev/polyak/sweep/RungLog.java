package dev.polyak.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The files of a sweep's early stopping, each written atomically.
 *
 * <ul>
 *   <li>A rung record per (run, rung), in the run's folder: {@code
 *       <out>/runs/<run_id>/rungs/rung-<step>.json}, the run's signal there.
 *   <li>A decision per (run, rung), in the sweep folder: {@code
 *       <out>/early-stopping/rung-<step>/<run_id>.json} — its group, verdict, and the records it
 *       was decided against. It is written once: the first decision of a (run, rung) wins, and a
 *       restarted job reads it back instead of deciding again.
 * </ul>
 */
public final class RungLog {
  /** The decision log's folder in the sweep folder. */
  public static final String FOLDER = "early-stopping";

  private static final ObjectMapper JSON = new ObjectMapper();

  private RungLog() {}

  /**
   * A run's signal at a rung.
   *
   * @param group the run's group (its config)
   * @param recordedAtMillis when it was written (epoch milliseconds)
   */
  public record RungRecord(
      String runId, String group, long rung, String signal, double value, long recordedAtMillis) {}

  /**
   * ASHA's decision on one run at one rung.
   *
   * @param seen the rung records of the group present when it was decided, by run id (itself
   *     included): with the reduction, enough to check the verdict by hand
   * @param worker host/pid of the worker that decided
   */
  public record Decision(
      String runId,
      String group,
      long rung,
      String signal,
      double value,
      boolean continues,
      int rank,
      int compared,
      int kept,
      double reduction,
      List<Asha.Entry> seen,
      long decidedAtMillis,
      String worker) {
    public Decision {
      seen = List.copyOf(seen);
    }
  }

  static Path rungFile(Path runFolder, long rung) {
    return runFolder.resolve("rungs").resolve("rung-" + rung + ".json");
  }

  static Path decisionFile(Path sweep, long rung, String runId) {
    return sweep.resolve(FOLDER).resolve("rung-" + rung).resolve(runId + ".json");
  }

  public static Optional<RungRecord> rung(Path runFolder, long rung) {
    return read(rungFile(runFolder, rung), RungRecord.class);
  }

  static void writeRung(Path runFolder, RungRecord record) {
    AtomicFiles.writeString(rungFile(runFolder, record.rung()), json(record));
  }

  public static Optional<Decision> decision(Path sweep, long rung, String runId) {
    return read(decisionFile(sweep, rung, runId), Decision.class);
  }

  /** The run's decisions at {@code rungs}, in rung order, those that exist. */
  public static List<Decision> decisions(Path sweep, String runId, List<Long> rungs) {
    List<Decision> found = new ArrayList<>();
    for (long rung : rungs) {
      decision(sweep, rung, runId).ifPresent(found::add);
    }
    return found;
  }

  /**
   * Records {@code decision} unless its (run, rung) was decided already, and returns the recorded
   * one: {@code decision}, or the earlier one that wins.
   */
  static Decision recordOnce(Path sweep, Decision decision) {
    Path file = decisionFile(sweep, decision.rung(), decision.runId());
    if (AtomicFiles.writeStringOnce(file, json(decision))) {
      return decision;
    }
    return decision(sweep, decision.rung(), decision.runId()).orElseThrow();
  }

  private static <T> Optional<T> read(Path file, Class<T> type) {
    return RunFolder.readJson(file, type);
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
