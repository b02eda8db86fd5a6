package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.io.FileTrees;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.service.SweepPlan;
import dev.polyak.service.Sweeps;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep started again after it was killed plans only the steps that remain: finished runs none,
 * unfinished runs their steps past their newest checkpoint, new cells all of theirs; and the job
 * then trains exactly that many steps, so the progress display ends at its plan's count.
 */
class ResumedSweepPlanTest {
  @TempDir Path dir;

  /** 2 methods x the seeds, 20 steps, a checkpoint every 10 (pruning at 10). */
  private static String sweepFile(Path shards, String seeds) {
    return SweepPipelineTest.common(shards)
        + String.join(
            "\n",
            "checkpoint_every: 10",
            "pruning: {step: 10}",
            "grid:",
            "  method: [dense, magnitude]",
            "  ratio: [0.5]",
            "  seed: " + seeds,
            "diagnostics: {at: [end], probe_samples: 8, hutchinson_probes: 1, structures: [neuron]}",
            "");
  }

  @Test
  void aResumedSweepPlansAndTrainsOnlyTheStepsLeft() throws Exception {
    Path shards = TestShardSets.syntheticCifar10(dir, 4, 32);
    Path out = dir.resolve("sweep");
    Sweeps.Execution execution = new Sweeps.Execution(RunnerSettings.direct(2), 1, 0);
    SweepSpec twoSeeds = SweepSpec.parse(sweepFile(shards, "0..1"), dir);
    SweepPlan fresh = Sweeps.plan(twoSeeds, out, RunPolicy.standard());
    assertThat(fresh.stepsToTrain()).isEqualTo(4 * 20);
    Sweeps.run(fresh, execution);

    // The job killed: dense seed 0 and magnitude seed 0 after their checkpoints at step 10 (the
    // step-20 ones and the results never written), magnitude seed 1 before its first checkpoint;
    // dense seed 1 finished. A third seed is added to the grid.
    Map<String, String> ids = new java.util.HashMap<>();
    for (Cell c : twoSeeds.cells()) {
      ids.put(c.method() + c.seed(), c.runId());
    }
    for (String killedAt10 : List.of(ids.get("dense0"), ids.get("magnitude0"))) {
      Path run = out.resolve("runs").resolve(killedAt10);
      Files.delete(run.resolve("result.json"));
      Files.delete(run.resolve("checkpoints").resolve("ckpt-0000000020.safetensors"));
    }
    Path beforeFirst = out.resolve("runs").resolve(ids.get("magnitude1"));
    Files.delete(beforeFirst.resolve("result.json"));
    FileTrees.deleteRecursively(beforeFirst.resolve("checkpoints"));

    SweepPlan resumed =
        Sweeps.plan(SweepSpec.parse(sweepFile(shards, "0..2"), dir), out, RunPolicy.standard());
    Map<String, Long> left = new java.util.HashMap<>();
    resumed.runs().stream()
        .filter(SweepPlan.PlannedRun::trains)
        .forEach(r -> left.put(r.cell().runId(), r.stepsLeft()));
    // By hand: 20 - 10 for each run killed at 10, 20 for the one killed before 10 and for each of
    // the two new cells; the finished run does not train.
    assertThat(left)
        .hasSize(5)
        .containsEntry(ids.get("dense0"), 10L)
        .containsEntry(ids.get("magnitude0"), 10L)
        .containsEntry(ids.get("magnitude1"), 20L)
        .doesNotContainKey(ids.get("dense1"));
    assertThat(resumed.cellsToTrain()).isEqualTo(5);
    long planned = resumed.stepsToTrain();
    assertThat(planned).isEqualTo(10 + 10 + 20 + 2 * 20);

    Sweeps.run(resumed, execution);
    SweepProgress.Snapshot progress = SweepProgress.snapshot();
    assertThat(progress.done()).isEqualTo(5);
    assertThat(progress.stepsTrained()).isEqualTo(planned);
    Map<String, RunRecord> runs = SweepPipelineTest.runs(out);
    assertThat(runs.values())
        .hasSize(6)
        .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
    assertThat(runs.get(ids.get("dense0")).getResumedFromStep()).isEqualTo(10);
    assertThat(runs.get(ids.get("magnitude0")).getResumedFromStep()).isEqualTo(10);
    assertThat(runs.get(ids.get("dense1")).getAttempts()).isEqualTo(1);
  }
}
