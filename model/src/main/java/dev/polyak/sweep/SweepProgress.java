package dev.polyak.sweep;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the training workers of this JVM are doing, for a local progress display (embedded Flink and
 * the DirectRunner run the workers in the driver's JVM; on a cluster, Beam's metrics in the Flink
 * UI say the same). Process-wide, so a driver runs one sweep at a time.
 */
public final class SweepProgress {
  private static final Map<String, long[]> RUNNING = new ConcurrentHashMap<>();
  private static final AtomicInteger DONE = new AtomicInteger();
  private static final AtomicLong STEPS_DONE = new AtomicLong();
  private static final AtomicInteger DIAGNOSTICS_PLANNED = new AtomicInteger();
  private static final AtomicInteger DIAGNOSTICS_DONE = new AtomicInteger();

  private SweepProgress() {}

  /**
   * A snapshot: runs ended in this process, runs training now, optimizer steps trained in this
   * process, and the diagnostic tasks (one per mask group and one for the whole model, per
   * checkpoint) planned and computed so far.
   */
  public record Snapshot(
      int done, int running, long stepsTrained, int diagnosticsPlanned, int diagnosticsDone) {}

  public static void reset() {
    RUNNING.clear();
    DONE.set(0);
    STEPS_DONE.set(0);
    DIAGNOSTICS_PLANNED.set(0);
    DIAGNOSTICS_DONE.set(0);
  }

  public static void started(String runId, long step) {
    RUNNING.put(runId, new long[] {step});
  }

  public static void stepped(String runId, long step) {
    long[] current = RUNNING.get(runId);
    if (current != null) {
      current[0] = step;
    }
    STEPS_DONE.incrementAndGet();
  }

  public static void ended(String runId) {
    RUNNING.remove(runId);
    DONE.incrementAndGet();
  }

  /** Adds {@code tasks} to the diagnostic tasks planned (negative: planned ones given up). */
  public static void diagnosticsPlanned(int tasks) {
    DIAGNOSTICS_PLANNED.addAndGet(tasks);
  }

  public static void diagnosticDone() {
    DIAGNOSTICS_DONE.incrementAndGet();
  }

  public static Snapshot snapshot() {
    return new Snapshot(
        DONE.get(),
        RUNNING.size(),
        STEPS_DONE.get(),
        DIAGNOSTICS_PLANNED.get(),
        DIAGNOSTICS_DONE.get());
  }
}
