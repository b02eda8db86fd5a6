package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep with {@code early_stopping} end to end on a tiny MLP: the runs ASHA stops end STOPPED at
 * their rung with their checkpoint there, every decision is the rule's verdict on the records it
 * saw, {@code --rerun-stopped} resumes a stopped run to the metrics of an uninterrupted one, and a
 * job restarted between two rungs keeps the decision of the first.
 */
public class EarlyStoppingSweepTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 4, 32);
  }

  /** Six seeds of one config, 30 steps, checkpoints every 10, rungs at 10 and 20, eta 2. */
  static String sweepFile() {
    return String.join(
        "\n",
        "model: mlp",
        "model_options: {hidden: 8, layers: 1}",
        "data: " + shards,
        "steps: 30",
        "batch_size: 8",
        "eval_every: 10",
        "eval_samples: 32",
        "checkpoint_every: 10",
        "seeds: 0..5",
        "early_stopping: {rule: asha, signal: eval, rungs: [10, 20], reduction: 2}",
        "");
  }

  static SweepPipeline.Outcome sweep(Path out, PipelineOptions options, RunPolicy policy) {
    return sweep(sweepFile(), out, options, policy, null);
  }

  static SweepPipeline.Outcome sweep(
      String yaml,
      Path out,
      PipelineOptions options,
      RunPolicy policy,
      TrainRunFn.FaultInjection fault) {
    SweepSpec spec = SweepSpec.parse(yaml, dir);
    List<RunTask> tasks = SweepPipeline.tasks(spec.cells(), out);
    return SweepPipeline.run(
        new SweepPipeline.SweepJob(
            tasks,
            out,
            new TrainRunFn.Settings(
                policy, spec.diagnostics(), "cpu", 1, fault, spec.earlyStopping())),
        options);
  }

  static Map<String, RunRecord> runs(Path out) {
    return SweepPipelineTest.runs(out);
  }

  static List<RungDecision> decisions(Path out) {
    return SweepPipelineTest.report(out, "early_stopping", RungDecision.class);
  }

  /**
   * The eval metric (accuracy: higher is better) of each run at {@code step}, from metrics.avro.
   */
  static Map<String, Double> accuracyAt(Path out, long step) {
    return SweepPipelineTest.report(out, "metrics", MetricRow.class).stream()
        .filter(m -> m.getStep() == step)
        .collect(Collectors.toMap(MetricRow::getRunId, MetricRow::getEvalMetric));
  }

  /**
   * Checks every decision by hand against the accuracies the metrics report holds at its rung: rank
   * = 1 + the seen runs strictly more accurate; kept = ceil(n / 2); it continues iff rank <= kept.
   * Returns the stopping rung of each run that some decision stopped.
   */
  static Map<String, Long> checkDecisions(Path out) {
    Map<String, Long> stoppedAt = new HashMap<>();
    for (RungDecision d : decisions(out)) {
      Map<String, Double> accuracy = accuracyAt(out, d.getRung());
      assertThat(d.getValue()).isEqualTo(accuracy.get(d.getRunId()));
      double mine = accuracy.get(d.getRunId());
      int rank = 1 + (int) d.getSeenRunIds().stream().filter(id -> accuracy.get(id) > mine).count();
      int n = d.getSeenRunIds().size();
      int kept = (n + 1) / 2;
      assertThat(d.getSeenRunIds()).contains(d.getRunId());
      assertThat(d.getCompared()).isEqualTo(n);
      assertThat(d.getRank()).isEqualTo(rank);
      assertThat(d.getKept()).isEqualTo(kept);
      assertThat(d.getContinues()).isEqualTo(rank <= kept);
      if (!d.getContinues()) {
        stoppedAt.merge(d.getRunId(), d.getRung(), Math::min);
      }
    }
    return stoppedAt;
  }

  @Test
  void stoppedRunsEndAtTheirRungAndRerunStoppedResumesThemToTheEnd() throws Exception {
    Path out = dir.resolve("asha");
    sweep(out, TestJobs.direct(2), RunPolicy.standard());

    Map<String, RunRecord> runs = runs(out);
    assertThat(runs).hasSize(6);
    Map<String, Long> stoppedAt = checkDecisions(out);
    assertThat(stoppedAt).isNotEmpty();
    // The first run to reach a rung goes on, so someone reaches the end.
    assertThat(runs.values()).anyMatch(r -> r.getStatus() == RunStatus.FINISHED);
    for (RunRecord r : runs.values()) {
      if (stoppedAt.containsKey(r.getRunId())) {
        long rung = stoppedAt.get(r.getRunId());
        assertThat(r.getStatus()).isEqualTo(RunStatus.STOPPED);
        assertThat(r.getStoppedAtRung()).isEqualTo(rung);
        assertThat(r.getLastGoodStep()).isEqualTo(rung);
        assertThat(
                out.resolve("runs")
                    .resolve(r.getRunId())
                    .resolve("checkpoints")
                    .resolve(CheckpointStore.fileName(rung, false)))
            .exists();
        // a run stopped at 10 reached no later rung
        assertThat(decisions(out))
            .filteredOn(d -> d.getRunId().equals(r.getRunId()))
            .allMatch(d -> d.getRung() <= rung);
      } else {
        assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(r.getStoppedAtRung()).isNull();
        assertThat(decisions(out))
            .filteredOn(d -> d.getRunId().equals(r.getRunId()))
            .extracting(RungDecision::getRung)
            .containsExactlyInAnyOrder(10L, 20L);
      }
    }

    // the job stops at the Avro files; its caller (service.Sweeps) writes the page
    dev.polyak.service.Reports.write(out.resolve(SweepPipeline.REPORT));
    assertThat(out.resolve("report").resolve("report.html"))
        .content()
        .contains("<h2 id=\"early-stopping\">Early stopping</h2>");

    // --rerun-stopped trains only the stopped runs, from their rung to the end, as an uninterrupted
    // run would.
    sweep(out, TestJobs.direct(2), new RunPolicy(false, List.of(), true));
    Map<String, RunRecord> after = runs(out);
    assertThat(after.values()).allMatch(r -> r.getStatus() == RunStatus.FINISHED);
    String resumed = stoppedAt.keySet().iterator().next();
    RunRecord again = after.get(resumed);
    assertThat(again.getResumedFromStep()).isEqualTo(stoppedAt.get(resumed));
    assertThat(again.getAttempts()).isEqualTo(2);
    RunSpec spec =
        RunSpec.parse(
            SweepSpec.parse(sweepFile(), dir).cells().stream()
                .filter(c -> c.runId().equals(resumed))
                .findFirst()
                .orElseThrow()
                .runYaml(),
            null);
    TrainingRun.Result uninterrupted =
        TrainingRun.run(spec, dir.resolve("uninterrupted"), Device.cpu(), r -> {});
    assertThat(again.getFinalEvalMetric())
        .isEqualTo(uninterrupted.last().orElseThrow().evalMetric());
    assertThat(again.getFinalTrainLoss()).isEqualTo(uninterrupted.last().orElseThrow().trainLoss());
    // the decisions that stopped it stay in the log and the report
    assertThat(checkDecisions(out)).isEqualTo(stoppedAt);
    // the finished runs were not trained again
    runs.values().stream()
        .filter(r -> r.getStatus() == RunStatus.FINISHED)
        .forEach(r -> assertThat(after.get(r.getRunId()).getAttempts()).isEqualTo(1));
  }

  @Test
  void aJobRestartedBetweenTwoRungsKeepsTheFirstRungsDecisions() throws Exception {
    Path out = dir.resolve("restart");
    sweep(out, TestJobs.flink(2), RunPolicy.standard());
    Map<String, RunRecord> before = runs(out);
    checkDecisions(out);
    // The most accurate run at rung 20 ranks first there whatever else has reached it.
    Map<String, Double> at20 = accuracyAt(out, 20);
    RunRecord survivor =
        before.values().stream()
            .filter(r -> r.getStatus() == RunStatus.FINISHED)
            .max(java.util.Comparator.comparing((RunRecord r) -> at20.get(r.getRunId())))
            .orElseThrow();
    Path run = out.resolve("runs").resolve(survivor.getRunId());
    Path decision10 =
        out.resolve("early-stopping").resolve("rung-10").resolve(survivor.getRunId() + ".json");
    String decided = Files.readString(decision10);

    // The job died while the survivor trained from rung 10 towards 20: no result, no checkpoint
    // after 10, no rung-20 record or decision.
    Files.delete(run.resolve("result.json"));
    try (Stream<Path> checkpoints = Files.list(run.resolve("checkpoints"))) {
      for (Path c : checkpoints.toList()) {
        if (!c.getFileName().toString().equals(CheckpointStore.fileName(10, false))) {
          Files.delete(c);
        }
      }
    }
    Files.delete(run.resolve("rungs").resolve("rung-20.json"));
    Files.delete(
        out.resolve("early-stopping").resolve("rung-20").resolve(survivor.getRunId() + ".json"));
    // Were rung 10 decided again now, every other run's record there would outrank the survivor
    // and stop it (ceil(6/2) = 3 < its rank 6).
    try (Stream<Path> folders = Files.list(out.resolve("runs"))) {
      for (Path other : folders.toList()) {
        Path record = other.resolve("rungs").resolve("rung-10.json");
        if (!other.equals(run) && Files.exists(record)) {
          Files.writeString(
              record, Files.readString(record).replaceAll("\"value\":[^,}]+", "\"value\":2.0"));
        }
      }
    }

    sweep(out, TestJobs.direct(2), RunPolicy.standard());
    assertThat(Files.readString(decision10)).isEqualTo(decided);
    RunRecord resumed = runs(out).get(survivor.getRunId());
    assertThat(resumed.getResumedFromStep()).isEqualTo(10);
    assertThat(resumed.getStatus()).isNotEqualTo(RunStatus.STOPPED);
    assertThat(resumed.getStoppedAtRung()).isNull();
    assertThat(resumed.getFinalEvalMetric()).isEqualTo(survivor.getFinalEvalMetric());
    // every other run kept its outcome
    before.forEach((id, r) -> assertThat(runs(out).get(id).getStatus()).isEqualTo(r.getStatus()));
  }

  /**
   * A worker lost mid-training between two rungs, inside one Flink job: the job restarts (Flink's
   * restart strategy), the run resumes from its checkpoint between the rungs, its first rung's
   * decision is the one recorded before the loss, and with one slot every decision of the sweep
   * (verdict, rank, n, the records it saw) and every outcome equal an uninterrupted job's.
   */
  @Test
  void aWorkerLostBetweenTwoRungsRestartsTheJobWithTheSameDecisions() throws Exception {
    // checkpoints every 5 steps, so a run can be lost at 15: after rung 10, before rung 20
    String yaml =
        sweepFile()
            .replace("eval_every: 10", "eval_every: 5")
            .replace("checkpoint_every: 10", "checkpoint_every: 5");
    Path reference = dir.resolve("uninterrupted-one-slot");
    sweep(yaml, reference, TestJobs.flink(1), RunPolicy.standard(), null);
    List<String> expected = decisionLines(reference);
    checkDecisions(reference);
    // the victim went on at rung 10 and reached rung 20
    String victim =
        decisions(reference).stream()
            .filter(d -> d.getRung() == 20)
            .map(RungDecision::getRunId)
            .sorted()
            .findFirst()
            .orElseThrow();

    Path out = dir.resolve("lost-worker");
    sweep(
        yaml,
        out,
        FlinkRestarts.allow(TestJobs.flink(1), 2, 0),
        RunPolicy.standard(),
        new TrainRunFn.FaultInjection(victim, 15));

    Path marker = out.resolve("runs").resolve(victim).resolve("injected-fault");
    assertThat(marker).exists();
    RunRecord resumed = runs(out).get(victim);
    assertThat(resumed.getAttempts()).isEqualTo(2);
    assertThat(resumed.getResumedFromStep()).isEqualTo(15);
    // Its rung-10 decision was recorded before the loss and not made again after it.
    RungDecision at10 =
        decisions(out).stream()
            .filter(d -> d.getRunId().equals(victim) && d.getRung() == 10)
            .findFirst()
            .orElseThrow();
    assertThat(at10.getDecidedAtMillis()).isLessThan(Files.getLastModifiedTime(marker).toMillis());
    // One decision per (run, rung), the same as the uninterrupted job's, and the same outcomes.
    assertThat(decisionLines(out)).isEqualTo(expected);
    checkDecisions(out);
    Map<String, RunRecord> before = runs(reference);
    runs(out)
        .forEach(
            (id, r) -> {
              assertThat(r.getStatus()).as(id).isEqualTo(before.get(id).getStatus());
              assertThat(r.getStoppedAtRung()).as(id).isEqualTo(before.get(id).getStoppedAtRung());
              assertThat(r.getFinalEvalMetric())
                  .as(id)
                  .isEqualTo(before.get(id).getFinalEvalMetric());
            });
  }

  /** Each decision without its time and worker: run, rung, value, verdict, rank, n, kept, seen. */
  public static List<String> decisionLines(Path out) {
    return decisions(out).stream()
        .map(
            d ->
                String.join(
                    " ",
                    d.getRunId(),
                    String.valueOf(d.getRung()),
                    String.valueOf(d.getValue()),
                    String.valueOf(d.getContinues()),
                    String.valueOf(d.getRank()),
                    String.valueOf(d.getCompared()),
                    String.valueOf(d.getKept()),
                    String.valueOf(d.getSeenRunIds())))
        .sorted()
        .toList();
  }
}
