package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.testing.TestShardSets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pl-gate's gating network v across the events of a linear schedule, through {@link TrainingRun}:
 * kept from one event to the next (each event's record names the hash it started from and ended
 * at), written into the checkpoints (the hash recomputed here from the checkpoint file's floats),
 * and restored by a resume so that the resumed run repeats the uninterrupted one bit for bit;
 * {@code gate_reset: true} draws a new v at each event instead. A two-layer MLP on small synthetic
 * CIFAR, a cheap gate (64 gate samples, two trace probes).
 */
class PersistentGateRunTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 7, 64);
  }

  /** 320 training images, batch 16: 20 steps per epoch; events after epochs 0 and 1. */
  private static RunSpec spec(String gateOptions) {
    return RunSpec.parse(
        "model: mlp\nmodel_options: {hidden: 8, layers: 2}\ndata: "
            + shards
            + "\nseed: 4\nsteps: 40\nbatch_size: 16\nlearning_rate: 0.02\neval_every: 10"
            + "\ncheckpoint_every: 20\neval_samples: 32\n"
            + "pruning: {method: pl-gate, schedule: linear, start_epoch: 0, end_epoch: 1,"
            + " final_ratio: 0.5, scoring_samples: 16, options: {gate_samples: 64,"
            + " hutchinson_probes: 2"
            + gateOptions
            + "}}\n",
        dir);
  }

  private static List<PruneEvent> events(Path out) {
    return AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class);
  }

  @Test
  void theGatePersistsAcrossEventsAndAResumedRunRepeatsItBitwise() throws Exception {
    RunSpec spec = spec("");
    Path whole = dir.resolve("whole");
    TrainingRun.Result uninterrupted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    assertThat(uninterrupted.pruneSteps()).containsExactly(20L, 40L);
    List<PruneEvent> original = events(whole);
    assertThat(original.get(0).getGateSha256Before()).isNull();
    assertThat(original.get(1).getGateSha256Before())
        .isEqualTo(original.get(0).getGateSha256())
        .isNotEqualTo(original.get(1).getGateSha256());
    for (PruneEvent e : original) {
      assertThat(e.getGateSamples()).isEqualTo(64);
      // 64 samples at scoring_batch 16, one epoch: 4 gate steps
      assertThat(e.getObjectiveTrace()).hasSize(4);
      assertThat(e.getMethodOptions()).containsEntry("gate_reset", "false");
    }
    Checkpoint afterFirst =
        new CheckpointStore(whole.resolve("checkpoints"), RetentionPolicy.keepAll())
            .load(whole.resolve("checkpoints").resolve(original.get(0).getCheckpointAfter()));
    assertThat(sha256(afterFirst)).isEqualTo(original.get(0).getGateSha256());

    // Killed after writing the checkpoint before the step-40 event: nothing after it exists.
    Path killed = dir.resolve("killed");
    TrainingRun.run(spec, killed, Device.cpu(), r -> {});
    String last = CheckpointStore.beforePruningFileName(40);
    try (Stream<Path> files = Files.list(killed.resolve("checkpoints"))) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().compareTo(last) > 0) {
          Files.delete(f);
        }
      }
    }
    Files.delete(killed.resolve("result.json"));
    Files.delete(killed.resolve("prune-events/event-0000000040.avro"));
    TrainingRun.Result resumed = TrainingRun.run(spec, killed, Device.cpu(), r -> {});

    // from the checkpoint just before the second event: the v it restores is the first event's
    assertThat(resumed.resumedFromStep()).isEqualTo(40);
    assertThat(resumed.metrics())
        .extracting(MetricRecord::evalLoss)
        .isEqualTo(uninterrupted.metrics().stream().map(MetricRecord::evalLoss).toList());
    List<PruneEvent> redone = events(killed);
    assertThat(redone).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(redone.get(i).getScores()).isEqualTo(original.get(i).getScores());
      assertThat(redone.get(i).getObjectiveTrace()).isEqualTo(original.get(i).getObjectiveTrace());
      assertThat(redone.get(i).getGateSha256Before())
          .isEqualTo(original.get(i).getGateSha256Before());
      assertThat(redone.get(i).getGateSha256()).isEqualTo(original.get(i).getGateSha256());
      assertThat(redone.get(i).getKeptAfter()).isEqualTo(original.get(i).getKeptAfter());
    }
  }

  @Test
  void aResetGateIsDrawnAnewAtEveryEventAndNotKept() throws Exception {
    Path out = dir.resolve("reset");
    TrainingRun.run(spec(", gate_reset: true"), out, Device.cpu(), r -> {});

    List<PruneEvent> events = events(out);
    assertThat(events).hasSize(2);
    assertThat(events).allSatisfy(e -> assertThat(e.getGateSha256Before()).isNull());
    assertThat(events.get(1).getGateSha256()).isNotEqualTo(events.get(0).getGateSha256());
    Checkpoint afterFirst =
        new CheckpointStore(out.resolve("checkpoints"), RetentionPolicy.keepAll())
            .load(out.resolve("checkpoints").resolve(events.get(0).getCheckpointAfter()));
    assertThat(afterFirst.prunerState()).isEmpty();
  }

  /** SHA-256 of the checkpoint's gate tensors W1, b1, w2 as little-endian float32. */
  private static String sha256(Checkpoint c) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (String name : List.of("pl-gate.w1", "pl-gate.b1", "pl-gate.w2")) {
      float[] values = c.prunerState().get(name).floats();
      ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) {
        bytes.putFloat(v);
      }
      digest.update(bytes.array());
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
