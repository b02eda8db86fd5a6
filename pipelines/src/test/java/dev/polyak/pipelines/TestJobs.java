package dev.polyak.pipelines;

import dev.polyak.io.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;

/** Runner options and output fingerprints for pipeline tests. */
final class TestJobs {
  private TestJobs() {}

  static PipelineOptions flink(int parallelism) {
    return RunnerSettings.embeddedFlink(parallelism).toPipelineOptions("polyak-test");
  }

  static PipelineOptions direct(int threads) {
    return RunnerSettings.direct(threads).toPipelineOptions("polyak-test");
  }

  /**
   * Every row of the shards named {@code <prefix>*} in {@code folder}, in file order, read with
   * parquet-avro.
   */
  static <T> java.util.List<T> readShards(Path folder, String prefix) {
    java.util.List<T> rows = new java.util.ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path shard :
          files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().toList()) {
        try (org.apache.parquet.hadoop.ParquetReader<T> reader =
            dev.polyak.data.io.ParquetShards.reader(shard)) {
          for (T row = reader.read(); row != null; row = reader.read()) {
            rows.add(row);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** File name to sha256 of every entry of a folder (hidden temporary folders included). */
  static Map<String, String> fingerprint(Path folder) {
    Map<String, String> digests = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      files.forEach(
          f ->
              digests.put(
                  f.getFileName().toString(),
                  Files.isDirectory(f) ? "<folder>" : Digests.sha256Hex(f)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return digests;
  }
}
