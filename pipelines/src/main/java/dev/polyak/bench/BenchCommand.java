package dev.polyak.bench;

import dev.polyak.data.manifest.Manifests;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.runner.RunnerMixin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code polyak bench preprocess}: throughput and memory of WikiText preprocessing. */
@Command(
    name = "bench",
    description = {
      "Benchmarks that print figures.",
      "Each measures one part of polyak on this machine; some compare with the PyTorch reference scripts."
    },
    subcommands = {
      BenchCommand.Preprocess.class,
      BenchTrainCommand.class,
      BenchDiagnoseCommand.class,
      BenchSweepCommand.class,
      BenchReportCommand.class,
      BenchCheckpointCommand.class
    })
public final class BenchCommand {

  @Command(
      name = "preprocess",
      description = {
        "Measure WikiText preprocessing throughput and peak heap.",
        "WikiText preprocessing throughput (MB/s, tokens/s) and peak JVM heap, against a single-threaded plain-Java"
            + " loop that only splits lines and maps tokens to ids (HashMap), measured in the same run.",
        "The input (--size-mb of text) is made by repeating the files of --source, or a generated corpus."
      })
  static final class Preprocess implements Callable<Integer> {
    @Option(
        names = "--size-mb",
        defaultValue = "500",
        description = "Input size in MB (default ${DEFAULT-VALUE}).")
    int sizeMb;

    @Option(
        names = "--source",
        description =
            "Folder of WikiText files to repeat (default: $POLYAK_DATA_DIR/wikitext-2 if it exists, else generated).")
    Path source;

    @Option(
        names = "--work",
        defaultValue = "${java.io.tmpdir}/polyak-bench",
        description = "Work folder (default ${DEFAULT-VALUE}).")
    Path work;

    @Mixin RunnerMixin runner;

    @Override
    public Integer call() throws IOException {
      PrintStream console = System.out;
      RunnerSettings settings = runner.settings();
      Path input = work.resolve("input");
      Path file = input.resolve(WikiTextLayout.TOKENS.fileName("train"));
      long target = (long) sizeMb * 1_000_000L;
      String origin = prepareInput(file, target);
      long bytes = Files.size(file);
      console.printf("input: %s, %.1f MB (%s)%n", file, bytes / 1e6, origin);
      console.printf(
          "runner: %s, max heap %d MiB, %d cores%n",
          settings.describe(),
          Runtime.getRuntime().maxMemory() >> 20,
          Runtime.getRuntime().availableProcessors());

      long[] baseline = baselineLoop(file); // warms the page cache for both measurements, too
      long cpuStart = processCpuNanos();
      baseline = baselineLoop(file);
      double baselineCpu = (processCpuNanos() - cpuStart) / 1e9;
      double baselineSeconds = baseline[1] / 1e9;
      console.printf(
          "baseline (1 thread, split + HashMap ids): %.2f s, %.1f MB/s, %.2f M tokens/s, %d tokens,"
              + " process CPU %.2f s%n",
          baselineSeconds,
          bytes / 1e6 / baselineSeconds,
          baseline[0] / 1e6 / baselineSeconds,
          baseline[0],
          baselineCpu);

      Path out = work.resolve("shards");
      HeapPeaks.reset();
      cpuStart = processCpuNanos();
      long start = System.nanoTime();
      PreprocessPipeline.run(
          new PreprocessPipeline.WikiTextJob(input, out, WikiTextConfig.defaults(), true),
          settings.toPipelineOptions("polyak-bench-preprocess"));
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu = (processCpuNanos() - cpuStart) / 1e9;
      long peakHeap = HeapPeaks.peakBytes();
      long tokens = tokens(out);
      console.printf(
          "polyak preprocess: %.2f s, %.1f MB/s, %.2f M tokens/s, %d tokens, process CPU %.2f s%n",
          seconds, bytes / 1e6 / seconds, tokens / 1e6 / seconds, tokens, cpu);
      console.printf(
          "peak JVM heap during the job: %d MiB (sum of the heap pools' peaks, an upper bound)%n",
          peakHeap >> 20);
      console.printf("time ratio polyak / baseline: %.2f%n", seconds / baselineSeconds);
      // CPU time (JIT and GC threads included) is steadier than wall time on a shared machine.
      console.printf("CPU time ratio polyak / baseline: %.2f%n", cpu / baselineCpu);
      return 0;
    }

    private String prepareInput(Path file, long target) throws IOException {
      if (Files.isRegularFile(file)
          && Files.size(file) >= target
          && Files.size(file) < target + 4_000_000L) {
        return "reused";
      }
      Files.createDirectories(file.getParent());
      Path from = source != null ? source : defaultSource();
      List<Path> parts;
      if (from != null) {
        try (Stream<Path> list = Files.list(from)) {
          parts = list.filter(Files::isRegularFile).sorted().toList();
        }
      } else {
        Path generated = work.resolve("generated");
        new SyntheticWikiText(30_000).write(generated, 1, 2000, 1, 1);
        parts = List.of(generated.resolve(WikiTextLayout.TOKENS.fileName("train")));
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        long written = 0;
        while (written < target) {
          for (Path part : parts) {
            written += Files.copy(part, out);
          }
        }
      }
      return from != null ? "repeated " + from : "generated corpus repeated";
    }

    private static Path defaultSource() {
      String dataDir = System.getenv("POLYAK_DATA_DIR");
      if (dataDir != null && Files.isDirectory(Path.of(dataDir, "wikitext-2"))) {
        return Path.of(dataDir, "wikitext-2");
      }
      return null;
    }

    /** CPU time of the whole JVM so far (all threads: tasks, JIT compilers, garbage collector). */
    private static long processCpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }

    /** Returns {tokens, nanoseconds}: read lines, split on spaces, map each token to an id. */
    static long[] baselineLoop(Path file) {
      long start = System.nanoTime();
      Map<String, Integer> ids = new HashMap<>();
      long tokens = 0;
      long checksum = 0;
      try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          for (String token : line.split(" ")) {
            if (!token.isEmpty()) {
              checksum += ids.computeIfAbsent(token, t -> ids.size());
              tokens++;
            }
          }
          tokens++; // the end-of-line token
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (checksum == Long.MIN_VALUE) {
        System.out.print("");
      }
      return new long[] {tokens, System.nanoTime() - start};
    }

    @SuppressWarnings("unchecked")
    private static long tokens(Path out) {
      Map<String, Object> splits =
          (Map<String, Object>) Manifests.read(out.resolve("manifest.json")).get("splits");
      return ((Number) ((Map<String, Object>) splits.get("train")).get("tokens")).longValue();
    }
  }
}
