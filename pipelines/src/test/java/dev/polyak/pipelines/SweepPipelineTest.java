package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RunTask;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep job end to end on a small MLP grid: one record per key in every report file, runs
 * reproduce a standalone {@code TrainingRun} of the same spec, a second start trains nothing, an
 * added seed trains only the new cells, a failed and a diverged run are recorded while the others
 * finish, an unfinished run resumes from its checkpoint, and a training element whose first attempt
 * fails after emitting its records (retried by Flink) still leaves exactly one record per key.
 */
class SweepPipelineTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 4, 32);
  }

  /** What every cell of these sweeps shares: a small MLP, 20 steps, evaluations at 10 and 20. */
  static String common() {
    return common(shards);
  }

  /** {@link #common()} on the shard set {@code data}. */
  static String common(Path data) {
    return String.join(
        "\n",
        "model: mlp",
        "model_options: {hidden: 8, layers: 1}",
        "data: " + data,
        "steps: 20",
        "batch_size: 8",
        "eval_every: 10",
        "eval_samples: 32",
        "");
  }

  /** A grid of 3 methods × the seeds, pruning at 10. */
  static String sweepFile(String seeds, String extraMethods) {
    return common()
        + String.join(
            "\n",
            "pruning: {step: 10}",
            "grid:",
            "  method: [dense, magnitude, random" + extraMethods + "]",
            "  ratio: [0.5]",
            "  seed: " + seeds,
            "diagnostics: {at: [pruning, end], probe_samples: 8, hutchinson_probes: 1, structures: [neuron]}",
            "");
  }

  static SweepPipeline.Outcome sweep(
      Path out,
      String yaml,
      PipelineOptions options,
      RunPolicy policy,
      TrainRunFn.FaultInjection fault) {
    SweepSpec spec = SweepSpec.parse(yaml, dir);
    List<RunTask> tasks = SweepPipeline.tasks(spec.cells(), out);
    return SweepPipeline.run(
        new SweepPipeline.SweepJob(
            tasks, out, new TrainRunFn.Settings(policy, spec.diagnostics(), "cpu", 1, fault)),
        options);
  }

  static <T extends org.apache.avro.specific.SpecificRecord> List<T> report(
      Path out, String name, Class<T> type) {
    return AvroFiles.read(out.resolve("report").resolve(name + ".avro"), type);
  }

  static Map<String, RunRecord> runs(Path out) {
    return report(out, "runs", RunRecord.class).stream()
        .collect(Collectors.toMap(RunRecord::getRunId, Function.identity()));
  }

  /**
   * Asserts one record per key in every report file; returns the metric rows sorted by (run, step).
   */
  static List<MetricRow> assertOnePerKey(Path out, int runs) {
    assertThat(report(out, "runs", RunRecord.class))
        .hasSize(runs)
        .extracting(RunRecord::getRunId)
        .doesNotHaveDuplicates();
    List<MetricRow> metrics = report(out, "metrics", MetricRow.class);
    assertThat(metrics).extracting(m -> m.getRunId() + "/" + m.getStep()).doesNotHaveDuplicates();
    assertThat(report(out, "prune_events", PruneEvent.class))
        .extracting(e -> e.getRunId() + "/" + e.getStep())
        .doesNotHaveDuplicates();
    assertThat(report(out, "diagnostics", DiagnosticRecord.class))
        .extracting(d -> d.getRunId() + "/" + d.getCheckpoint() + "/" + d.getStructureId())
        .doesNotHaveDuplicates();
    return metrics.stream()
        .sorted(Comparator.comparing(MetricRow::getRunId).thenComparing(MetricRow::getStep))
        .toList();
  }

  @Test
  void aSweepTrainsEveryCellOnceAndASecondStartOnlyTheNewCells() throws Exception {
    Path out = dir.resolve("grid");
    String twoSeeds = sweepFile("0..1", "");
    dev.polyak.sweep.SweepProgress.reset();
    sweep(out, twoSeeds, TestJobs.direct(2), RunPolicy.standard(), null);
    dev.polyak.sweep.SweepProgress.Snapshot progress = dev.polyak.sweep.SweepProgress.snapshot();

    // 3 methods x 2 seeds, every run finished, two evaluations each, one event per pruned run.
    Map<String, RunRecord> runs = runs(out);
    assertThat(runs.values())
        .hasSize(6)
        .allSatisfy(
            r -> {
              assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED);
              assertThat(r.getAttempts()).isEqualTo(1);
              assertThat(r.getLastGoodStep()).isEqualTo(20);
            });
    List<MetricRow> metrics = assertOnePerKey(out, 6);
    assertThat(metrics).hasSize(12);
    assertThat(report(out, "prune_events", PruneEvent.class))
        .hasSize(4)
        .allSatisfy(e -> assertThat(e.getStep()).isEqualTo(10));
    // Diagnostics: pruned runs at the two checkpoints around the event (step 10, which is also the
    // default
    // cadence's 10 % of 20 steps rounded to a checkpoint) and the end, dense at steps 10 and 20;
    // each with 8
    // neuron rows and a model row.
    List<DiagnosticRecord> diagnosed = report(out, "diagnostics", DiagnosticRecord.class);
    assertThat(diagnosed).hasSize((4 * 3 + 2 * 2) * 9);
    // The progress display counted the same work: per checkpoint one task for the one hidden
    // layer's neurons and one for the whole model, all of them done.
    assertThat(progress.done()).isEqualTo(6);
    assertThat(progress.stepsTrained()).isEqualTo(6 * 20);
    assertThat(progress.diagnosticsPlanned()).isEqualTo((4 * 3 + 2 * 2) * 2);
    assertThat(progress.diagnosticsDone()).isEqualTo(progress.diagnosticsPlanned());
    assertThat(
            diagnosed.stream()
                .filter(d -> d.getStructureId().equals("model"))
                .map(DiagnosticRecord::getCheckpoint)
                .distinct())
        .containsExactlyInAnyOrder(
            "ckpt-0000000010-prune-before.safetensors",
            "ckpt-0000000010-prune.safetensors",
            "ckpt-0000000010.safetensors",
            "ckpt-0000000020.safetensors");
    dev.polyak.service.SweepReport first =
        dev.polyak.service.Reports.write(out.resolve(SweepPipeline.REPORT));
    assertThat(first.html()).exists();
    assertThat(first.summary()).hasSize(3);

    // Independent truth: the same cell trained by TrainingRun alone, in another folder, gives the
    // same rows.
    RunRecord magnitude =
        runs.values().stream()
            .filter(r -> r.getMethod().equals("magnitude") && r.getSeed() == 1)
            .findFirst()
            .orElseThrow();
    RunSpec spec =
        SweepSpec.parse(twoSeeds, dir).cells().stream()
            .filter(c -> c.runId().equals(magnitude.getRunId()))
            .findFirst()
            .orElseThrow()
            .spec();
    TrainingRun.Result alone =
        TrainingRun.run(spec, dir.resolve("alone"), ai.djl.Device.cpu(), r -> {});
    List<MetricRow> swept =
        metrics.stream().filter(m -> m.getRunId().equals(magnitude.getRunId())).toList();
    assertThat(swept)
        .extracting(MetricRow::getEvalLoss)
        .containsExactlyElementsOf(alone.metrics().stream().map(MetricRecord::evalLoss).toList());

    // Started again: nothing trains (no attempt is added) and the reports are the same records.
    sweep(out, twoSeeds, TestJobs.direct(2), RunPolicy.standard(), null);
    assertThat(runs(out).values()).allSatisfy(r -> assertThat(r.getAttempts()).isEqualTo(1));
    assertThat(assertOnePerKey(out, 6)).isEqualTo(metrics);

    // A third seed: only its three cells train.
    sweep(out, sweepFile("0..2", ""), TestJobs.direct(2), RunPolicy.standard(), null);
    Map<String, RunRecord> grown = runs(out);
    assertThat(grown).hasSize(9);
    assertThat(grown.values()).allSatisfy(r -> assertThat(r.getAttempts()).isEqualTo(1));
    assertThat(assertOnePerKey(out, 9)).hasSize(18).containsAll(metrics);
  }

  @Test
  void failedAndDivergedRunsAreRecordedAndTheOthersFinish() throws Exception {
    Path out = dir.resolve("bad-cells");
    String yaml =
        common()
            + String.join(
                "\n",
                "grid:",
                "  eval_split: [test, no-such-split]",
                "  learning_rate: [0.01, 1.0e+30]",
                "  seed: [0]",
                "");
    sweep(out, yaml, TestJobs.direct(2), RunPolicy.standard(), null);
    Map<RunStatus, List<RunRecord>> byStatus =
        runs(out).values().stream().collect(Collectors.groupingBy(RunRecord::getStatus));
    assertThat(byStatus.get(RunStatus.FINISHED)).hasSize(1);
    assertThat(byStatus.get(RunStatus.DIVERGED))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getDivergedAtStep()).isNotNull();
              assertThat(r.getLastGoodStep()).isLessThan(r.getDivergedAtStep());
            });
    assertThat(byStatus.get(RunStatus.FAILED))
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.getError()).contains("no-such-split");
              assertThat(r.getAttempts()).isEqualTo(1);
            });

    // Started again, the failed runs are retried (and fail again); the others are kept.
    sweep(out, yaml, TestJobs.direct(2), RunPolicy.standard(), null);
    assertThat(runs(out).values())
        .allSatisfy(
            r -> assertThat(r.getAttempts()).isEqualTo(r.getStatus() == RunStatus.FAILED ? 2 : 1));
    // --rerun-failed trains only the failed and diverged ones.
    sweep(out, yaml, TestJobs.direct(2), new RunPolicy(true, List.of()), null);
    assertThat(runs(out).values())
        .allSatisfy(
            r ->
                assertThat(r.getAttempts())
                    .isEqualTo(
                        switch (r.getStatus()) {
                          case FAILED -> 3;
                          case DIVERGED -> 2;
                          case FINISHED -> 1;
                          default -> throw new AssertionError(r.getStatus());
                        }));
  }

  @Test
  void anUnfinishedRunWithATruncatedNewestCheckpointResumesFromThePreviousOne() throws Exception {
    Path reference = dir.resolve("uninterrupted");
    String yaml = sweepFile("[3]", "");
    sweep(reference, yaml, TestJobs.direct(1), RunPolicy.standard(), null);

    Path out = dir.resolve("interrupted");
    sweep(out, yaml, TestJobs.direct(1), RunPolicy.standard(), null);
    // Make every run look killed while writing its step-20 checkpoint: no result, and the newest
    // checkpoint truncated (a torn write on a file system without atomic rename); the run must
    // detect it and resume from step 10.
    try (Stream<Path> runFolders = Files.list(out.resolve("runs"))) {
      for (Path run : runFolders.toList()) {
        Files.delete(run.resolve("result.json"));
        Path newest = run.resolve("checkpoints").resolve("ckpt-0000000020.safetensors");
        byte[] whole = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(whole, whole.length / 2));
      }
    }
    sweep(out, yaml, TestJobs.direct(1), RunPolicy.standard(), null);
    assertThat(runs(out).values())
        .hasSize(3)
        .allSatisfy(
            r -> {
              assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED);
              assertThat(r.getResumedFromStep()).isEqualTo(10);
              assertThat(r.getAttempts()).isEqualTo(2);
            });
    assertThat(assertOnePerKey(out, 3))
        .usingElementComparator(Comparator.comparing(SweepPipelineTest::trajectory))
        .containsExactlyElementsOf(assertOnePerKey(reference, 3));
  }

  @Test
  void aTrainingElementThatFailsAfterEmittingIsRetriedAndCountedOnce() throws Exception {
    Path reference = dir.resolve("no-fault");
    String yaml = sweepFile("[5]", "");
    sweep(reference, yaml, TestJobs.direct(1), RunPolicy.standard(), null);
    List<MetricRow> expected = assertOnePerKey(reference, 3);
    String victim = SweepSpec.parse(yaml, dir).cells().get(1).runId();

    PipelineOptions flink = FlinkRestarts.allow(TestJobs.flink(2), 2, 0);
    Path out = dir.resolve("fault");
    sweep(out, yaml, flink, RunPolicy.standard(), new TrainRunFn.FaultInjection(victim));

    assertThat(out.resolve("runs").resolve(victim).resolve("injected-fault")).exists();
    assertThat(runs(out).values())
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED))
        .allSatisfy(r -> assertThat(r.getAttempts()).isEqualTo(1));
    assertThat(assertOnePerKey(out, 3))
        .usingElementComparator(Comparator.comparing(SweepPipelineTest::trajectory))
        .containsExactlyElementsOf(expected);
    Set<String> events = new HashSet<>();
    report(out, "prune_events", PruneEvent.class)
        .forEach(e -> events.add(e.getRunId() + "/" + e.getStep()));
    assertThat(events).hasSize(2);
  }

  /** What decides a metric row apart from wall time. */
  static String trajectory(MetricRow m) {
    return m.getRunId()
        + "/"
        + m.getStep()
        + "/"
        + m.getTrainLoss()
        + "/"
        + m.getEvalLoss()
        + "/"
        + m.getEvalMetric()
        + "/"
        + m.getKeptParameters();
  }
}
