package dev.polyak.cli;

import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.pipelines.RunnerSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A preprocessing job with its account on the console: where it runs, a progress display, then the
 * splits it wrote. {@code polyak preprocess} and {@code polyak quickstart} share it.
 */
final class PreprocessConsole {
  private PreprocessConsole() {}

  /** Runs a preprocessing job with a progress display and prints what it wrote. */
  static int runAndReport(
      PrintStream console, String what, Path out, RunnerSettings runner, Runnable job) {
    console.printf("preprocessing %s on %s -> %s%n", what, runner.describe(), out);
    long start = System.nanoTime();
    try (AutoCloseable progress = ShardProgress.start(out, what)) {
      job.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    printSummary(console, out.resolve(ShardSetCommitter.MANIFEST), seconds);
    return 0;
  }

  @SuppressWarnings("unchecked")
  static void printSummary(PrintStream console, Path manifestFile, double seconds) {
    Map<String, Object> manifest = Manifests.read(manifestFile);
    console.printf("done in %.1f s: %s%n", seconds, manifestFile);
    Map<String, Object> splits = (Map<String, Object>) manifest.get("splits");
    splits.forEach(
        (split, value) -> {
          Map<String, Object> s = (Map<String, Object>) value;
          List<Object> shards = (List<Object>) s.get("shards");
          Object rows = s.containsKey("sequences") ? s.get("sequences") : s.get("rows");
          String extra = s.containsKey("tokens") ? ", " + s.get("tokens") + " tokens" : "";
          console.printf("  %-6s %10s rows in %d shard(s)%s%n", split, rows, shards.size(), extra);
        });
    if (manifest.containsKey("vocabulary")) {
      Map<String, Object> vocabulary = (Map<String, Object>) manifest.get("vocabulary");
      console.printf(
          "  vocabulary: %s entries (%s)%n", vocabulary.get("size"), vocabulary.get("file"));
    }
  }
}
