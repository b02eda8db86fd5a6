package dev.polyak.testing;

import ai.djl.Device;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Tiny training runs on synthetic CIFAR-10, for tests that start from a checkpoint. */
public final class TestRuns {
  private TestRuns() {}

  /**
   * Trains an MLP ({@code hidden} units × {@code layers}, seed {@code seed}) for {@code steps}
   * steps on 64 synthetic images under {@code dir}, checkpointing every {@code checkpointEvery}
   * steps.
   *
   * @return the checkpoint files in step order
   */
  public static List<Path> mlp(
      Path dir, int hidden, int layers, long seed, int steps, int checkpointEvery)
      throws IOException {
    Path input = dir.resolve("cifar-in");
    SyntheticCifar.write(input, CifarVariant.CIFAR10, 7, 64);
    Path shards = Files.createDirectories(dir.resolve("cifar-shards"));
    TestShardSets.images(input, shards, CifarVariant.CIFAR10, CifarConfig.defaults());
    RunSpec spec =
        RunSpec.parse(
            "model: mlp\nmodel_options: {hidden: "
                + hidden
                + ", layers: "
                + layers
                + "}\ndata: "
                + shards
                + "\nseed: "
                + seed
                + "\nsteps: "
                + steps
                + "\nbatch_size: 16\nlearning_rate: 0.02\neval_every: 10\n"
                + "checkpoint_every: "
                + checkpointEvery
                + "\neval_samples: 32\n",
            dir);
    TrainingRun.run(spec, dir.resolve("run"), Device.cpu(), r -> {});
    try (Stream<Path> files = Files.list(dir.resolve("run/checkpoints"))) {
      return files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
    }
  }
}
