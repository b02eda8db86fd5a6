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

  private SweepProgress() {}

  /**
   * A snapshot: runs ended in this process, runs training now, and optimizer steps trained in this
   * process.
   */
  public record Snapshot(int done, int running, long stepsTrained) {}

  public static void reset() {
    RUNNING.clear();
    DONE.set(0);
    STEPS_DONE.set(0);
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

  public static Snapshot snapshot() {
    return new Snapshot(DONE.get(), RUNNING.size(), STEPS_DONE.get());
  }
}
