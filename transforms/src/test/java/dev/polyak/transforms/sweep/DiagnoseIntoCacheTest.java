package dev.polyak.transforms.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.testing.TestRuns;
import dev.polyak.transforms.Diagnose;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint diagnosed into {@link DiagnoseOnce}'s cache in the calling thread (what a sweep's
 * training element does once its run ends) holds the rows the distributed {@link Diagnose} stage
 * computes for it, and {@link DiagnoseOnce} then reads them back without computing anything.
 */
class DiagnoseIntoCacheTest {
  @TempDir Path dir;

  private static DiagnosticsOptions options() {
    return DiagnosticsOptions.defaults().withProbeSamples(12).withHutchinsonProbes(2);
  }

  @Test
  void theCachedRowsAreTheStagesAndTheStageThenOnlyReadsThem() throws Exception {
    List<Path> checkpoints = TestRuns.mlp(dir, 12, 2, 5, 20, 10);
    Path checkpoint = checkpoints.get(1);
    SweepProgress.reset();

    assertThat(DiagnoseOnce.diagnoseIntoCache(checkpoint, options())).isTrue();
    Path cache =
        DiagnoseOnce.cacheFile(
            dir.resolve("run"),
            checkpoint.getFileName().toString(),
            DiagnoseOnce.optionsKey(options()));
    assertThat(cache).exists();
    List<DiagnosticRecord> cached = sorted(AvroFiles.read(cache, DiagnosticRecord.class));
    // Two hidden layers of 12 neurons, and the model row; counted as the stage counts its tasks.
    assertThat(cached).hasSize(2 * 12 + 1);
    assertThat(SweepProgress.snapshot().diagnosticsPlanned()).isEqualTo(3);
    assertThat(SweepProgress.snapshot().diagnosticsDone()).isEqualTo(3);
    long modified = Files.getLastModifiedTime(cache).toMillis();
    assertThat(DiagnoseOnce.diagnoseIntoCache(checkpoint, options())).isFalse();
    assertThat(Files.getLastModifiedTime(cache).toMillis()).isEqualTo(modified);

    // Independent truth: the distributed stage on the same checkpoint, without the cache.
    // Its tasks: one per hidden layer and the model's.
    assertThat(cached).isEqualTo(sorted(run(checkpoint, Diagnose.of(options()), 3)));
    // The cache-reading stage returns the same rows and computes no task.
    assertThat(sorted(run(checkpoint, new DiagnoseOnce(options(), dir), 0))).isEqualTo(cached);
  }

  /**
   * The rows of {@code stage} on {@code checkpoint}, asserting that it computed {@code tasks}
   * diagnostic tasks.
   */
  private List<DiagnosticRecord> run(
      Path checkpoint,
      org.apache.beam.sdk.transforms.PTransform<PCollection<String>, PCollection<DiagnosticRecord>>
          stage,
      int tasks) {
    DirectOptions pipelineOptions = PipelineOptionsFactory.create().as(DirectOptions.class);
    pipelineOptions.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(pipelineOptions);
    PCollection<DiagnosticRecord> rows =
        pipeline.apply(Create.of(List.of(checkpoint.toString()))).apply(stage);
    List<DiagnosticRecord> collected = new ArrayList<>();
    // A file, not a list, carries the rows out: the check runs on a serialized copy of itself.
    String out = dir.resolve("rows-" + System.nanoTime() + ".avro").toString();
    PAssert.that(rows)
        .satisfies(
            all -> {
              List<DiagnosticRecord> list = new ArrayList<>();
              all.forEach(list::add);
              AvroFiles.write(Path.of(out), DiagnosticRecord.class, list);
              return null;
            });
    org.apache.beam.sdk.PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    long computed = 0;
    for (String counter : List.of("layerTasks", "modelTasks")) {
      for (MetricResult<Long> c :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(
                          MetricNameFilter.named(Diagnose.class.getName() + "$ComputeFn", counter))
                      .build())
              .getCounters()) {
        computed += c.getAttempted();
      }
    }
    assertThat(computed).isEqualTo(tasks);
    collected.addAll(AvroFiles.read(Path.of(out), DiagnosticRecord.class));
    return collected;
  }

  private static List<DiagnosticRecord> sorted(List<DiagnosticRecord> rows) {
    return rows.stream().sorted(Comparator.comparing(DiagnosticRecord::getStructureId)).toList();
  }
}
