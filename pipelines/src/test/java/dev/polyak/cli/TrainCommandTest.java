package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak train}: a run file in, metric lines, final metrics and the run folder out; clear
 * errors.
 */
class TrainCommandTest {
  @TempDir Path dir;

  private static CliRun polyak(String... args) {
    return CliRun.of(args);
  }

  @Test
  void trainsARunFileAndResumesItWhenRunAgain() throws Exception {
    Path input = dir.resolve("cifar");
    SyntheticCifar.write(input, CifarVariant.CIFAR10, 3, 32);
    Path shards = Files.createDirectories(dir.resolve("shards"));
    TestShardSets.images(input, shards, CifarVariant.CIFAR10, CifarConfig.defaults());
    Path config =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "# a tiny MLP on synthetic CIFAR-10",
                "model: mlp",
                "model_options: {hidden: 16, layers: 1}",
                "data: shards",
                "steps: 20",
                "batch_size: 8",
                "eval_every: 10",
                "eval_samples: 32",
                ""));
    Path out = dir.resolve("run-out");

    CliRun first =
        polyak("train", "--config", config.toString(), "--out", out.toString(), "--threads", "1");
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out())
        .contains("mlp on " + shards)
        .contains("step 10: train loss")
        .contains("step 20: train loss")
        .contains("final: step 20")
        .contains("accuracy");
    assertThat(out.resolve("result.json")).exists();
    assertThat(out.resolve("checkpoints/ckpt-0000000020.safetensors")).exists();

    CliRun again = polyak("train", "--config", config.toString(), "--out", out.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).contains("(resumed from step 20)").contains("final: step 20");
  }

  @Test
  void aBadRunFileIsExitCodeTwoWithTheFileAndLine() throws Exception {
    Path config =
        Files.writeString(dir.resolve("bad.yaml"), "model: mlp\ndata: x\nsteps: 5\nbatchsize: 8\n");
    CliRun bad = polyak("train", "--config", config.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err())
        .contains(config.toString())
        .contains("line 4")
        .contains("unknown key 'batchsize'")
        .contains("batch_size");

    CliRun missingData =
        polyak(
            "train",
            "--config",
            Files.writeString(dir.resolve("nodata.yaml"), "model: mlp\ndata: nowhere\nsteps: 5\n")
                .toString(),
            "--out",
            dir.resolve("o").toString());
    assertThat(missingData.code()).isEqualTo(2);
    assertThat(missingData.err()).contains(dir.resolve("nowhere").toString());

    CliRun gpu = polyak("train", "--config", config.toString(), "--device", "gpu");
    assertThat(gpu.code()).isEqualTo(2);
    assertThat(gpu.err())
        .contains("a GPU was asked for, but PyTorch cannot use one here: this is the CPU build");
  }
}
