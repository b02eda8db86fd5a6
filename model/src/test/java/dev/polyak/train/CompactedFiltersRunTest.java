package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs of the CIFAR networks whose pruned filters are sliced out at each event of a linear schedule
 * (two events, after epochs 0 and 1), against the same runs with {@code compact: false}, and
 * resumed from checkpoints before, between and after the events. The truths: the uninterrupted
 * compacted run (bitwise, at one thread: the surefire configuration), the masked run (the same
 * trajectory to float rounding) and the checkpoint files.
 *
 * <p>The masked run is the truth up to the second event for fpgm on VGG-16 only: there the masked
 * model still holds the first event's pruned filters (and the kept filters' weights on their
 * inputs), which fpgm's distance sums see while the compacted model has none. chip scores a layer's
 * feature maps, where a masked channel is all zeros and changes no other channel's score, so the
 * ResNet runs agree to the end.
 */
class CompactedFiltersRunTest {
  @org.junit.jupiter.api.io.TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 7, 64);
  }

  /**
   * A testbed: the model lines of its run file, a batch norm whose running statistics a filter
   * event cuts, and the step up to which the masked run is the truth.
   */
  record Testbed(String name, String model, String batchNorm, long maskedAgreesUntil) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Testbed> testbeds() {
    return Stream.of(
        new Testbed(
            "vgg16, fpgm",
            "model: vgg16\nmodel_options: {width_divisor: 16}\npruning: {method: fpgm",
            "features.1",
            40),
        new Testbed(
            "resnet, chip",
            "model: resnet56\nmodel_options: {blocks_per_stage: 1}\npruning: {method: chip",
            "blocks.0.b1",
            50));
  }

  /** 320 training images at batch 16: 20 steps per epoch, so events at steps 20 and 40. */
  private static RunSpec spec(Testbed testbed, String extra) {
    return RunSpec.parse(
        testbed.model()
            + ", schedule: linear, start_epoch: 0, end_epoch: 1, final_ratio: 0.5,"
            + " scoring_samples: 16"
            + extra
            + "}\nlearning_rate: 0.05\nseed: 4\nsteps: 50\nbatch_size: 16\neval_every: 10\n"
            + "checkpoint_every: 10\neval_samples: 32\ndata: "
            + shards
            + "\n",
        dir);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("testbeds")
  void compactedFiltersTrainAsTheMaskedOnesAndResumeBitwiseFromAnyCheckpoint(Testbed testbed)
      throws Exception {
    String name = testbed.name().replaceAll("[^a-z0-9]+", "-");
    RunSpec spec = spec(testbed, "");
    Path whole = dir.resolve(name + "-compacted");
    TrainingRun.Result compacted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    Path maskedRun = dir.resolve(name + "-masked");
    TrainingRun.Result masked =
        TrainingRun.run(spec(testbed, ", compact: false"), maskedRun, Device.cpu(), r -> {});

    assertThat(compacted.pruneSteps()).containsExactly(20L, 40L);
    assertThat(compacted.metrics()).hasSameSizeAs(masked.metrics());
    for (int i = 0; i < masked.metrics().size(); i++) {
      MetricRecord m = masked.metrics().get(i);
      MetricRecord c = compacted.metrics().get(i);
      if (m.step() <= testbed.maskedAgreesUntil()) {
        assertThat(c.evalLoss())
            .as("step " + m.step())
            .isCloseTo(m.evalLoss(), within(1e-4 * m.evalLoss()));
        assertThat(c.keptParameters()).as("step " + m.step()).isEqualTo(m.keptParameters());
      }
    }

    // after the first event: the kept filters only, running statistics and momentum included
    Checkpoint after = CompactedRunTest.checkpoint(whole, "ckpt-0000000020-prune.safetensors");
    Checkpoint maskedAfter =
        CompactedRunTest.checkpoint(maskedRun, "ckpt-0000000020-prune.safetensors");
    String bn = testbed.batchNorm();
    long full = maskedAfter.weights().get(bn + ".running_mean").shape()[0];
    long kept = count(after.masks().get("layer0").floats());
    assertThat(kept).isLessThan(full);
    for (String tensor : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
      assertThat(after.weights().get(bn + tensor).shape()).as(bn + tensor).containsExactly(kept);
    }
    assertThat(after.optimizerState().get(bn + ".weight.velocity").floats()).hasSize((int) kept);
    assertThat(after.masks()).containsKey("compaction/layer0");
    assertThat(after.masks().get("layer0").floats())
        .isEqualTo(maskedAfter.masks().get("layer0").floats());

    for (String keep :
        List.of(
            CheckpointStore.beforePruningFileName(20),
            "ckpt-0000000020-prune.safetensors",
            "ckpt-0000000030.safetensors",
            CheckpointStore.beforePruningFileName(40),
            "ckpt-0000000040-prune.safetensors")) {
      Path killed = dir.resolve(name + "-killed-" + keep);
      dev.polyak.io.FileTrees.copyRecursively(whole, killed);
      try (Stream<Path> files = Files.list(killed.resolve("checkpoints"))) {
        for (Path f : files.toList()) {
          if (f.getFileName().toString().compareTo(keep) > 0) {
            Files.delete(f);
          }
        }
      }
      Files.delete(killed.resolve("result.json"));
      long step = Long.parseLong(keep.substring(5, 15));
      for (long event : List.of(20L, 40L)) {
        if (event > step || (event == step && keep.endsWith("before.safetensors"))) {
          Files.delete(killed.resolve(String.format("prune-events/event-%010d.avro", event)));
        }
      }
      TrainingRun.Result resumed = TrainingRun.run(spec, killed, Device.cpu(), r -> {});
      assertThat(resumed.resumedFromStep()).as(keep).isEqualTo(step);
      assertThat(resumed.pruneSteps()).as(keep).containsExactly(20L, 40L);
      CompactedRunTest.assertResumedAsUninterrupted(
          resumed, compacted, killed, whole, "ckpt-0000000050.safetensors", keep);
    }
  }

  private static long count(float[] mask) {
    long n = 0;
    for (float v : mask) {
      n += v != 0f ? 1 : 0;
    }
    return n;
  }
}
