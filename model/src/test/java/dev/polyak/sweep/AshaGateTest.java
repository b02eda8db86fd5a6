package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import ai.djl.Device;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainerDiagnostics;
import dev.polyak.train.TrainingRun;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conditioning signals at a rung are the whole-model figures a diagnosis of the rung's
 * checkpoint gives, and a run stopped on them ends STOPPED there.
 */
class AshaGateTest {
  @TempDir Path dir;

  private RunSpec spec(Path shards, long seed) {
    return RunSpec.parse(
        String.join(
            "\n",
            "model: mlp",
            "model_options: {hidden: 8, layers: 1}",
            "data: " + shards,
            "steps: 20",
            "batch_size: 8",
            "eval_every: 10",
            "eval_samples: 32",
            "seed: " + seed,
            ""),
        null);
  }

  @Test
  void kappaAndPlRatioAreTheRungCheckpointsDiagnosis() throws Exception {
    Path shards = TestShardSets.syntheticCifar10(dir, 4, 32);
    Path runs = dir.resolve("sweep").resolve("runs");
    DiagnosticsOptions probes = DiagnosticsOptions.defaults().withProbeSamples(8);
    RunSpec first = spec(shards, 0);
    RunSpec second = spec(shards, 1);
    List<String> group = List.of(first.runId(), second.runId());
    EarlyStopping onKappa =
        new EarlyStopping(
            EarlyStopping.Rule.ASHA, EarlyStopping.Signal.KAPPA, List.of(10L), 1.5, "config");
    for (RunSpec spec : List.of(first, second)) {
      TrainingRun.run(
          spec,
          runs.resolve(spec.runId()),
          Device.cpu(),
          r -> {},
          new AshaGate(
              onKappa,
              probes,
              spec.runId(),
              "model=mlp",
              group,
              runs.resolve(spec.runId()),
              "accuracy",
              "test/1"));
    }
    for (RunSpec spec : List.of(first, second)) {
      Path run = runs.resolve(spec.runId());
      double recorded = RungLog.rung(run, 10).orElseThrow().value();
      // A second path: the rung's checkpoint restored and diagnosed with every structure kind.
      try (RestoredRun restored =
          RestoredRun.open(
              run.resolve("checkpoints").resolve(CheckpointStore.fileName(10, false)),
              shards,
              Device.cpu())) {
        double kappa = TrainerDiagnostics.run(restored.trainer(), probes).whole().conditionNumber();
        assertThat(recorded).isCloseTo(kappa, withinPercentage(1e-6));
        double plRatio =
            AshaGate.signal(
                EarlyStopping.Signal.PL_RATIO, 10, restored.trainer(), List.of(), probes);
        assertThat(plRatio)
            .isCloseTo(
                TrainerDiagnostics.conditioning(restored.trainer(), probes).plRatio(),
                withinPercentage(1e-6));
      }
    }
    // Two runs at the rung, eta 1.5: ceil(2/1.5) = 2 kept, so both go on (unless kappa is not
    // finite for one, which then ranks last but still within 2).
    assertThat(TrainingRun.readResult(runs.resolve(first.runId())).status())
        .isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(TrainingRun.readResult(runs.resolve(second.runId())).status())
        .isEqualTo(TrainingRun.Status.FINISHED);
    RungLog.Decision decided =
        RungLog.decision(dir.resolve("sweep"), 10, second.runId()).orElseThrow();
    assertThat(decided.compared()).isEqualTo(2);
    assertThat(decided.kept()).isEqualTo(2);
  }
}
