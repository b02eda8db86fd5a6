package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak stability} on a run trained by {@code polyak train}: a table and the mean with its
 * standard error, from the newest checkpoint with room or a given one; clear errors otherwise.
 */
class StabilityCommandTest {
  @TempDir static Path dir;
  static Path out;

  /** A tiny MLP run of 20 steps on synthetic CIFAR-10, checkpoints at steps 10 and 20. */
  @BeforeAll
  static void trainedRun() throws Exception {
    Path shards = TestShardSets.syntheticCifar10(dir, 3, 32);
    Path config =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 16, layers: 1}",
                "data: cifar-shards",
                "steps: 20",
                "batch_size: 8",
                "learning_rate: 0.02",
                "eval_every: 10",
                "eval_samples: 32",
                ""));
    out = dir.resolve("run-out");
    CliRun train = CliRun.of("train", "--config", config.toString(), "--out", out.toString());
    assertThat(train.code()).as(train.err()).isZero();
  }

  @Test
  void printsOneRowPerSampleAndTheMeanWithItsStandardError() {
    CliRun r = CliRun.of("stability", "--run", out.toString(), "--steps", "4", "--samples", "3");
    System.out.print(r.out());
    assertThat(r.code()).as(r.err()).isZero();
    // steps 20 - 4 = 16 leaves the step-10 checkpoint as the newest with room
    assertThat(r.out())
        .contains(
            "checkpoint at step 10 of 20; 4 steps with and without each of 3 samples (seed 0)")
        .contains("L(w_S\\i)")
        .contains("|difference|")
        .containsPattern(
            "stability: \\d\\.\\d{4}e[-+]\\d+ \\+- \\d\\.\\d{4}e[-+]\\d+ \\(mean \\|difference\\| \\+- standard"
                + " error, 3 samples, 4 steps from step 10\\)");
    assertThat(r.out())
        .containsPattern(
            "Theorem 12 bound: gamma <= L_f\\^2 / \\(mu n\\) = \\d\\.\\d{4}e[-+]\\d+ with L_f"
                + " \\S+ \\(largest per-sample gradient norm\\) and mu \\S+ .* at w_S \\(step 14\\), n = \\d+ training samples");
    assertThat(
            r.out()
                .lines()
                .filter(l -> l.matches("\\s+\\d+\\s+\\d+\\.\\d{6}\\s+\\d+\\.\\d{6}\\s+\\S+")))
        .hasSize(3);

    CliRun again =
        CliRun.of(
            "stability",
            "--run",
            out.toString(),
            "--steps",
            "4",
            "--samples",
            "3",
            "--checkpoint-step",
            "10");
    assertThat(again.out()).as("the same figures from the same checkpoint").isEqualTo(r.out());

    CliRun none =
        CliRun.of(
            "stability",
            "--run",
            out.toString(),
            "--checkpoint-step",
            "20",
            "--steps",
            "0",
            "--samples",
            "2");
    assertThat(none.code()).as(none.err()).isZero();
    assertThat(none.out()).contains("stability: 0.0000e+00 +- 0.0000e+00");
  }

  @Test
  void badInputIsExitCodeTwoNamingThePath() throws Exception {
    Path missing = dir.resolve("no-such-run");
    CliRun noRun = CliRun.of("stability", "--run", missing.toString(), "--steps", "2");
    assertThat(noRun.code()).isEqualTo(2);
    assertThat(noRun.err()).contains(missing + ": no such run folder");

    Path empty = Files.createDirectories(dir.resolve("empty-run"));
    Files.copy(out.resolve("run.json"), empty.resolve("run.json"));
    CliRun noCheckpoint = CliRun.of("stability", "--run", empty.toString(), "--steps", "2");
    assertThat(noCheckpoint.code()).isEqualTo(2);
    assertThat(noCheckpoint.err())
        .contains("no valid checkpoint in " + empty.resolve("checkpoints"));

    CliRun noStep =
        CliRun.of("stability", "--run", out.toString(), "--steps", "2", "--checkpoint-step", "15");
    assertThat(noStep.code()).isEqualTo(2);
    assertThat(noStep.err())
        .contains("no valid checkpoint at step 15 in " + out.resolve("checkpoints"));

    CliRun tooFar = CliRun.of("stability", "--run", out.toString(), "--steps", "25");
    assertThat(tooFar.code()).isEqualTo(2);
    assertThat(tooFar.err()).contains("the run has 20 steps");

    Path notARun = Files.createDirectories(dir.resolve("not-a-run"));
    CliRun noRunJson = CliRun.of("stability", "--run", notARun.toString(), "--steps", "2");
    assertThat(noRunJson.code()).isEqualTo(2);
    assertThat(noRunJson.err()).contains(notARun.resolve("run.json") + ": no such file");
  }
}
