package dev.polyak.transforms.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunPolicy;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/**
 * Copies of a record emitted by a retried element collapse to one per key, and the drop is counted.
 */
class KeepOnePerKeyTest {
  static final Queue<String> COLLECTED = new ConcurrentLinkedQueue<>();

  static final class CollectFn extends DoFn<String, Void> {
    @ProcessElement
    public void process(@Element String row) {
      COLLECTED.add(row);
    }
  }

  @Test
  void keepsOneElementPerKeyAndCountsTheCopies() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    // run-a's rows at steps 10 and 20 were emitted twice (a retried element), run-b's once.
    PCollection<String> rows =
        pipeline.apply(
            Create.of(
                List.of("run-a/10", "run-a/20", "run-b/10", "run-a/10", "run-a/20", "run-b/20")));
    PCollection<String> kept = rows.apply(KeepOnePerKey.by((String row) -> row));
    COLLECTED.clear();
    kept.apply(ParDo.of(new CollectFn()));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(KeepOnePerKey.class, "duplicatesDropped"))
                    .build());
    assertThat(COLLECTED).containsExactlyInAnyOrder("run-a/10", "run-a/20", "run-b/10", "run-b/20");
    assertThat(metrics.getCounters())
        .singleElement()
        .satisfies(c -> assertThat(c.getAttempted()).isEqualTo(2L));
  }

  @Test
  void thePolicyTrainsWhatEachModeSays() {
    RunPolicy standard = RunPolicy.standard();
    assertThat(standard.trains("abc", RunFolder.Recorded.NONE)).isTrue();
    assertThat(standard.trains("abc", RunFolder.Recorded.FAILED)).isTrue();
    assertThat(standard.trains("abc", RunFolder.Recorded.FINISHED)).isFalse();
    assertThat(standard.trains("abc", RunFolder.Recorded.DIVERGED)).isFalse();
    RunPolicy rerun = new RunPolicy(true, List.of());
    assertThat(rerun.trains("abc", RunFolder.Recorded.NONE)).isFalse();
    assertThat(rerun.trains("abc", RunFolder.Recorded.DIVERGED)).isTrue();
    assertThat(rerun.trains("abc", RunFolder.Recorded.FAILED)).isTrue();
    RunPolicy only = new RunPolicy(false, List.of("ab", "ff"));
    assertThat(only.trains("abc", RunFolder.Recorded.NONE)).isTrue();
    assertThat(only.trains("bcd", RunFolder.Recorded.NONE)).isFalse();
    assertThat(only.trains("ffe", RunFolder.Recorded.FINISHED)).isFalse();
  }
}
