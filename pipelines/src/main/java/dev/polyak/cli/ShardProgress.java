package dev.polyak.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress display for a local preprocessing run: counts the shard files that have appeared in
 * the job's temporary folder. Shown only on a terminal; silent when output is piped or in CI.
 */
final class ShardProgress implements AutoCloseable {
  private final Path out;
  private final ProgressBar bar;
  private final Thread poller;

  private ShardProgress(Path out, String task) {
    this.out = out;
    this.bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(-1)
            .setStyle(ProgressBarStyle.ASCII)
            .setUnit(" shards", 1)
            .showSpeed()
            .build();
    this.poller = new Thread(this::poll, "shard-progress");
    poller.setDaemon(true);
    poller.start();
  }

  /** Starts a display when stdout is a terminal; otherwise a no-op. */
  static AutoCloseable start(Path out, String task) {
    if (System.console() == null) {
      return () -> {};
    }
    return new ShardProgress(out, task);
  }

  private void poll() {
    while (!Thread.currentThread().isInterrupted()) {
      long shards = countShards();
      if (shards > bar.getCurrent()) {
        bar.stepTo(shards);
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private long countShards() {
    try (Stream<Path> temps = Files.list(out)) {
      return temps
          .filter(p -> p.getFileName().toString().startsWith(".polyak-tmp-"))
          .mapToLong(ShardProgress::parquetFiles)
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }

  private static long parquetFiles(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    poller.interrupt();
    try {
      poller.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    bar.close();
  }
}
