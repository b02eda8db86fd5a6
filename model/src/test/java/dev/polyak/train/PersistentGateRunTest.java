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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pl-gate's gating network v across a run's events, through {@link TrainingRun}: kept from one
 * event to the next (each event's record names the hash it started from and ended at), written into
 * the checkpoints (the hash recomputed here from the checkpoint file's floats), and restored by a
 * resume so that the resumed run repeats the uninterrupted one bit for bit; {@code gate_reset:
 * true} draws a new v at each event instead. Three testbeds, each with a cheap gate (a few dozen
 * gate samples, one or two trace probes) and tiny widths: a two-layer MLP and a reduced VGG-16
 * (width / 16) on a linear schedule with events after epochs 0 and 1, killed before the second
 * event; a bert-tiny-sized BERT (2 layers of 4 heads) one-shot, killed before its event. Tests run
 * the engine on one thread (the surefire configuration).
 */
class PersistentGateRunTest {
  @TempDir static Path dir;
  static Path shards;
  static Path text;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 7, 64);
    Path corpus = dir.resolve("corpus");
    new dev.polyak.data.synthetic.SyntheticWikiText(300).write(corpus, 5, 12, 3, 3);
    text = Files.createDirectories(dir.resolve("text-shards"));
    TestShardSets.text(
        corpus, text, dev.polyak.data.text.WikiTextConfig.defaults().withRowsPerShard(50));
  }

  /**
   * A testbed: the run file without its pruning block's gate options, the steps its events happen
   * at, and the gate steps per event (gate samples / scoring batch, one epoch).
   */
  record Testbed(String name, String run, List<Long> events, int gateSteps) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** CIFAR: 320 training images, batch 16: 20 steps per epoch; events after epochs 0 and 1. */
  private static final String LINEAR =
      "seed: 4\nsteps: 40\nbatch_size: 16\neval_every: 10\ncheckpoint_every: 20\n"
          + "eval_samples: 32\npruning: {method: pl-gate, schedule: linear, start_epoch: 0,"
          + " end_epoch: 1, final_ratio: 0.5, scoring_samples: 16, options: {gate_samples: 64,"
          + " hutchinson_probes: 2";

  static Stream<Testbed> testbeds() {
    return Stream.of(
        // 64 samples at scoring_batch 16, one epoch: 4 gate steps
        new Testbed(
            "mlp, linear",
            "model: mlp\nmodel_options: {hidden: 8, layers: 2}\nlearning_rate: 0.02\n" + LINEAR,
            List.of(20L, 40L),
            4),
        new Testbed(
            "vgg16, linear",
            "model: vgg16\nmodel_options: {width_divisor: 16}\nlearning_rate: 0.05\n"
                + LINEAR.replace("hutchinson_probes: 2", "hutchinson_probes: 1"),
            List.of(20L, 40L),
            4),
        // 16 gate samples at scoring_batch 4: 4 gate steps
        new Testbed(
            "bert, one-shot",
            "model: bert-tiny\nmodel_options: {hidden: 32, layers: 2, heads: 4, ffn: 64}\n"
                + "seed: 4\nsteps: 16\nbatch_size: 4\neval_every: 4\ncheckpoint_every: 8\n"
                + "eval_samples: 8\npruning: {method: pl-gate, step: 8, ratio: 0.5,"
                + " scoring_samples: 8, scoring_batch: 4, options: {gate_samples: 16,"
                + " hutchinson_probes: 1",
            List.of(8L),
            4));
  }

  private static RunSpec spec(Testbed testbed, String gateOptions) {
    boolean tokens = testbed.run().startsWith("model: bert");
    return RunSpec.parse(
        testbed.run() + gateOptions + "}}\ndata: " + (tokens ? text : shards) + "\n", dir);
  }

  private static List<PruneEvent> events(Path out) {
    return AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("testbeds")
  void theGatePersistsAcrossEventsAndAResumedRunRepeatsItBitwise(Testbed testbed) throws Exception {
    RunSpec spec = spec(testbed, "");
    String name = testbed.name().replaceAll("[^a-z0-9]+", "-");
    Path whole = dir.resolve(name + "-whole");
    TrainingRun.Result uninterrupted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    assertThat(uninterrupted.pruneSteps()).isEqualTo(testbed.events());
    List<PruneEvent> original = events(whole);
    assertThat(original).hasSameSizeAs(testbed.events());
    assertThat(original.get(0).getGateSha256Before()).isNull();
    for (int i = 1; i < original.size(); i++) {
      assertThat(original.get(i).getGateSha256Before())
          .isEqualTo(original.get(i - 1).getGateSha256())
          .isNotEqualTo(original.get(i).getGateSha256());
    }
    for (PruneEvent e : original) {
      assertThat(e.getGateSamples())
          .isEqualTo(testbed.run().contains("gate_samples: 16") ? 16 : 64);
      assertThat(e.getObjectiveTrace()).hasSize(testbed.gateSteps());
      assertThat(e.getMethodOptions()).containsEntry("gate_reset", "false");
    }
    Checkpoint afterFirst =
        new CheckpointStore(whole.resolve("checkpoints"), RetentionPolicy.keepAll())
            .load(whole.resolve("checkpoints").resolve(original.get(0).getCheckpointAfter()));
    assertThat(sha256(afterFirst)).isEqualTo(original.get(0).getGateSha256());

    // Killed after writing the checkpoint before the last event: nothing after it exists.
    long lastEvent = testbed.events().get(testbed.events().size() - 1);
    Path killed = dir.resolve(name + "-killed");
    TrainingRun.run(spec, killed, Device.cpu(), r -> {});
    String last = CheckpointStore.beforePruningFileName(lastEvent);
    try (Stream<Path> files = Files.list(killed.resolve("checkpoints"))) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().compareTo(last) > 0) {
          Files.delete(f);
        }
      }
    }
    Files.delete(killed.resolve("result.json"));
    Files.delete(killed.resolve(String.format("prune-events/event-%010d.avro", lastEvent)));
    TrainingRun.Result resumed = TrainingRun.run(spec, killed, Device.cpu(), r -> {});

    // from the checkpoint just before the last event: the v it restores is the one before it
    assertThat(resumed.resumedFromStep()).isEqualTo(lastEvent);
    assertThat(resumed.metrics())
        .extracting(MetricRecord::evalLoss)
        .isEqualTo(uninterrupted.metrics().stream().map(MetricRecord::evalLoss).toList());
    List<PruneEvent> redone = events(killed);
    assertThat(redone).hasSameSizeAs(original);
    for (int i = 0; i < original.size(); i++) {
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
    TrainingRun.run(
        spec(testbeds().findFirst().orElseThrow(), ", gate_reset: true"),
        out,
        Device.cpu(),
        r -> {});

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
