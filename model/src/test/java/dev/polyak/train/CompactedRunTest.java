package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BERT run whose pruned heads are sliced out of the tensors at the event (the default) against
 * the same run with {@code compact: false} (masks only), and resumed from the checkpoints around
 * and after the event. The truths: the masked run (same trajectory to float rounding), the
 * uninterrupted compacted run (bitwise, at one thread) and the checkpoint files.
 */
class CompactedRunTest {
  @TempDir static Path dir;
  static Path text;

  @BeforeAll
  static void shards() throws Exception {
    text = TestShardSets.syntheticWikiText(dir);
  }

  /** Four heads in each of two layers; half of the eight pruned by grad-score (soft gates). */
  private static RunSpec spec(String extra) {
    return spec(
        "model: bert-tiny\nmodel_options: {hidden: 32, layers: 2, heads: 4, ffn: 64}\n", extra);
  }

  /** {@code model} pruned by grad-score at step 8 to ratio 0.5, with {@code extra} pruning keys. */
  private static RunSpec spec(String model, String extra) {
    return RunSpec.parse(
        model
            + "batch_size: 4\nsteps: 16\neval_every: 4\ncheckpoint_every: 4\neval_samples: 8\n"
            + "data: "
            + text
            + "\npruning: {method: grad-score, step: 8, ratio: 0.5, scoring_samples: 8,"
            + " scoring_batch: 4"
            + extra
            + "}\n",
        dir);
  }

  @Test
  void compactedHeadsTrainAsTheMaskedOnesAndResumeBitwiseFromAnyCheckpoint() throws Exception {
    RunSpec spec = spec("");
    Path whole = dir.resolve("compacted");
    TrainingRun.Result compacted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    RunSpec maskedSpec = spec(", compact: false");
    assertThat(maskedSpec.runId()).isNotEqualTo(spec.runId());
    TrainingRun.Result masked =
        TrainingRun.run(maskedSpec, dir.resolve("masked"), Device.cpu(), r -> {});

    // the same trajectory: only the summation order of the smaller products differs
    assertThat(compacted.pruneSteps()).containsExactly(8L);
    assertSameTrajectory(compacted, masked);

    // the checkpoint after the event holds the kept heads only, and the map
    Checkpoint before = checkpoint(whole, CheckpointStore.beforePruningFileName(8));
    Checkpoint after = checkpoint(whole, "ckpt-0000000008-prune.safetensors");
    Checkpoint maskedAfter = checkpoint(dir.resolve("masked"), "ckpt-0000000008-prune.safetensors");
    assertThat(before.weights().get("layer0.attention.query.weight").shape())
        .containsExactly(32, 32);
    long kept0 = count(after.masks().get("layer0").floats());
    assertThat(after.weights().get("layer0.attention.query.weight").shape())
        .containsExactly(32, kept0 * 8);
    assertThat(after.weights().get("layer0.attention.output.weight").shape())
        .containsExactly(kept0 * 8, 32);
    assertThat(after.masks()).containsKeys("compaction/layer0", "compaction/layer1");
    assertThat(after.masks().get("layer0").floats())
        .isEqualTo(maskedAfter.masks().get("layer0").floats());
    assertThat(maskedAfter.masks()).doesNotContainKey("compaction/layer0");
    // Adam's moments were cut with the weights
    assertThat(after.optimizerState().get("layer0.attention.query.weight.m").floats())
        .hasSize((int) (32 * kept0 * 8));

    assertResumesBitwise(spec, whole, compacted);
  }

  /** Four experts in each of two layers, half pruned by grad-score (soft gates on the experts). */
  private static RunSpec switchSpec(String extra) {
    return spec(
        "model: switch-tiny\n"
            + "model_options: {hidden: 32, layers: 2, heads: 2, ffn: 32, experts: 4}\n",
        extra);
  }

  @Test
  void compactedExpertsTrainAsTheMaskedOnesAndResumeBitwiseFromAnyCheckpoint() throws Exception {
    RunSpec spec = switchSpec("");
    Path whole = dir.resolve("switch-compacted");
    TrainingRun.Result compacted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    TrainingRun.Result masked =
        TrainingRun.run(
            switchSpec(", compact: false"), dir.resolve("switch-masked"), Device.cpu(), r -> {});

    assertThat(compacted.pruneSteps()).containsExactly(8L);
    assertSameTrajectory(compacted, masked);

    // after the event: a pruned expert's FFN tensors are empty and its router column is gone
    Checkpoint after = checkpoint(whole, "ckpt-0000000008-prune.safetensors");
    Checkpoint maskedAfter =
        checkpoint(dir.resolve("switch-masked"), "ckpt-0000000008-prune.safetensors");
    int pruned = 0;
    for (int layer = 0; layer < 2; layer++) {
      float[] mask = after.masks().get("layer" + (2 + layer)).floats();
      assertThat(mask).isEqualTo(maskedAfter.masks().get("layer" + (2 + layer)).floats());
      assertThat(after.masks()).containsKey("compaction/layer" + (2 + layer));
      assertThat(after.weights().get("layer" + layer + ".ffn.router.weight").shape())
          .containsExactly(32, count(mask));
      for (int e = 0; e < 4; e++) {
        String in = "layer" + layer + ".ffn.expert" + e + ".in.weight";
        assertThat(after.weights().get(in).shape())
            .as(in)
            .containsExactly(mask[e] != 0f ? 32 : 0, 32);
        assertThat(after.optimizerState().get(in + ".m").floats())
            .hasSize(mask[e] != 0f ? 32 * 32 : 0);
        pruned += mask[e] != 0f ? 0 : 1;
      }
    }
    assertThat(pruned).as("experts pruned").isEqualTo(4);

    assertResumesBitwise(spec, whole, compacted);
  }

  @Test
  void headsAndExpertsPrunedTogetherTrainAsTheMaskedOnes() throws Exception {
    String both = ", scope: [heads, experts], allocation: per-layer";
    TrainingRun.Result compacted =
        TrainingRun.run(switchSpec(both), dir.resolve("both-compacted"), Device.cpu(), r -> {});
    TrainingRun.Result masked =
        TrainingRun.run(
            switchSpec(both + ", compact: false"),
            dir.resolve("both-masked"),
            Device.cpu(),
            r -> {});
    assertThat(compacted.pruneSteps()).containsExactly(8L);
    assertSameTrajectory(compacted, masked);
    Checkpoint after =
        checkpoint(dir.resolve("both-compacted"), "ckpt-0000000008-prune.safetensors");
    long heads = 0;
    long experts = 0;
    for (int layer = 0; layer < 2; layer++) {
      heads += count(after.masks().get("layer" + layer).floats());
      experts += count(after.masks().get("layer" + (2 + layer)).floats());
      assertThat(after.weights().get("layer" + layer + ".attention.query.weight").shape()[1])
          .isEqualTo(16 * count(after.masks().get("layer" + layer).floats()));
      assertThat(after.weights().get("layer" + layer + ".ffn.router.weight").shape()[1])
          .isEqualTo(count(after.masks().get("layer" + (2 + layer)).floats()));
    }
    // per layer: half of each layer's two heads and half of its four experts
    assertThat(heads).as("heads kept of 4").isEqualTo(2);
    assertThat(experts).as("experts kept of 8").isEqualTo(4);
  }

  /**
   * Resumed from the checkpoint before the event (redone), just after it, and later: bitwise the
   * uninterrupted run's metrics and final weights.
   */
  private static void assertResumesBitwise(RunSpec spec, Path whole, TrainingRun.Result compacted)
      throws Exception {
    for (String keep :
        List.of(
            CheckpointStore.beforePruningFileName(8),
            "ckpt-0000000008-prune.safetensors",
            "ckpt-0000000012.safetensors")) {
      Path killed = whole.resolveSibling(whole.getFileName() + "-killed-" + keep);
      dev.polyak.io.FileTrees.copyRecursively(whole, killed);
      try (Stream<Path> files = Files.list(killed.resolve("checkpoints"))) {
        for (Path f : files.toList()) {
          if (f.getFileName().toString().compareTo(keep) > 0) {
            Files.delete(f);
          }
        }
      }
      Files.delete(killed.resolve("result.json"));
      if (keep.contains("before")) {
        Files.delete(killed.resolve("prune-events/event-0000000008.avro"));
      }
      TrainingRun.Result resumed = TrainingRun.run(spec, killed, Device.cpu(), r -> {});
      assertThat(resumed.resumedFromStep()).as(keep).isEqualTo(keep.contains("12") ? 12 : 8);
      assertThat(resumed.pruneSteps()).as(keep).containsExactly(8L);
      assertResumedAsUninterrupted(
          resumed, compacted, killed, whole, "ckpt-0000000016.safetensors", keep);
    }
  }

  /**
   * The compacted run's evaluation losses are the masked run's to 1e-4 relative (only the summation
   * order of the smaller products differs) and its kept-parameter counts are equal.
   */
  private static void assertSameTrajectory(
      TrainingRun.Result compacted, TrainingRun.Result masked) {
    assertThat(compacted.metrics()).hasSameSizeAs(masked.metrics());
    for (int i = 0; i < masked.metrics().size(); i++) {
      MetricRecord m = masked.metrics().get(i);
      MetricRecord c = compacted.metrics().get(i);
      assertThat(c.evalLoss())
          .as("step " + m.step())
          .isCloseTo(m.evalLoss(), org.assertj.core.api.Assertions.within(1e-4 * m.evalLoss()));
      assertThat(c.keptParameters()).isEqualTo(m.keptParameters());
    }
  }

  private static long count(float[] mask) {
    long n = 0;
    for (float v : mask) {
      n += v != 0f ? 1 : 0;
    }
    return n;
  }

  /**
   * The resumed run's evaluation and training losses equal the uninterrupted run's bit for bit, and
   * so do the weights of its checkpoint {@code last} in both folders.
   */
  static void assertResumedAsUninterrupted(
      TrainingRun.Result resumed,
      TrainingRun.Result uninterrupted,
      Path killed,
      Path whole,
      String last,
      String description) {
    assertThat(resumed.metrics())
        .as(description)
        .extracting(MetricRecord::evalLoss)
        .isEqualTo(uninterrupted.metrics().stream().map(MetricRecord::evalLoss).toList());
    assertThat(resumed.metrics())
        .as(description)
        .extracting(MetricRecord::trainLoss)
        .isEqualTo(uninterrupted.metrics().stream().map(MetricRecord::trainLoss).toList());
    assertThat(checkpoint(killed, last).weights())
        .as(description)
        .isEqualTo(checkpoint(whole, last).weights());
  }

  static Checkpoint checkpoint(Path run, String name) {
    Path file = run.resolve("checkpoints").resolve(name);
    return new CheckpointStore(file.getParent(), RetentionPolicy.keepAll()).load(file);
  }
}
