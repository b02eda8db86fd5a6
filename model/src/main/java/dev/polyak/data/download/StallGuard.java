package dev.polyak.data.download;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes a stream when no data has arrived for a while, so a silent connection fails instead of
 * blocking forever ({@link java.net.http.HttpClient} has no read timeout for response bodies).
 */
final class StallGuard implements AutoCloseable {

  private final long idleNanos;
  private final Closeable stream;
  private final ScheduledExecutorService timer;
  private volatile long lastProgress = System.nanoTime();
  private volatile boolean tripped;

  StallGuard(Duration idleTimeout, Closeable stream) {
    this.idleNanos = idleTimeout.toNanos();
    this.stream = stream;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "download-stall-guard");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(10L, idleTimeout.toMillis() / 4);
    timer.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  /** Records that data arrived. */
  void progressed() {
    lastProgress = System.nanoTime();
  }

  /** True once the guard has closed the stream for lack of progress. */
  boolean tripped() {
    return tripped;
  }

  private void check() {
    if (!tripped && System.nanoTime() - lastProgress > idleNanos) {
      tripped = true;
      try {
        stream.close();
      } catch (IOException | RuntimeException e) {
        // The reader will fail or see end-of-stream either way.
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
