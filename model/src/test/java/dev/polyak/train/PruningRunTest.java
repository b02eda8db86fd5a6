package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.polyak.BadInputException;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run file with a {@code pruning:} block, trained through {@link TrainingRun}: the checkpoints
 * around each event, the event records, the schedule's kept counts, resume across an event, and
 * lottery-ticket rewinding. The MLP's hidden neurons on small synthetic CIFAR; the independent
 * truths are the checkpoint files themselves (weights read back as plain floats).
 */
class PruningRunTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 7, 64);
  }

  /** 320 training images, batch 16: 20 steps per epoch. Two hidden layers of 12 neurons. */
  private static RunSpec spec(String pruning) {
    return RunSpec.parse(
        "model: mlp\nmodel_options: {hidden: 12, layers: 2}\ndata: "
            + shards
            + "\nseed: 3"
            + "\nsteps: 60\nbatch_size: 16\nlearning_rate: 0.02\neval_every: 10\ncheckpoint_every: 20\neval_samples: 64\n"
            + pruning,
        dir);
  }

  private static List<PruneEvent> events(Path out) {
    return AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class);
  }

  private static Checkpoint checkpoint(Path file) {
    return new CheckpointStore(file.getParent(), RetentionPolicy.keepAll()).load(file);
  }

  @Test
  void oneShotMagnitudeKeepsTheNeuronsWithTheLargestL1NormAndRecordsTheEvent() throws Exception {
    RunSpec spec = spec("pruning: {method: magnitude, step: 15, ratio: 0.5}\n");
    Path out = dir.resolve("magnitude");
    List<PruneEvent> seen = new ArrayList<>();
    TrainingRun.Result result =
        TrainingRun.run(
            spec,
            out,
            Device.cpu(),
            new TrainingListener() {
              @Override
              public void onMetrics(MetricRecord record) {}

              @Override
              public void onPrune(PruneEvent event) {
                seen.add(event);
              }
            });
    assertThat(result.pruneSteps()).containsExactly(15L);
    List<PruneEvent> events = events(out);
    assertThat(events).hasSize(1).isEqualTo(seen);
    PruneEvent e = events.get(0);
    assertThat(e.getStep()).isEqualTo(15);
    assertThat(e.getMethod()).isEqualTo("magnitude");
    assertThat(e.getKernel()).isEqualTo("none");
    assertThat(e.getScope()).containsExactly("neurons");
    assertThat(e.getStructureIds()).hasSize(24);
    assertThat(e.getTargetKept()).isEqualTo(12);
    assertThat(e.getKeptBefore()).containsOnly(true);
    assertThat(e.getKeptAfter().stream().filter(k -> k).count()).isEqualTo(12);
    assertThat(e.getKeptParametersAfter()).isLessThan(e.getKeptParametersBefore());
    assertThat(e.getFlopsAfter()).isLessThan(e.getFlopsBefore());
    assertThat(e.getCheckpointBefore()).isEqualTo("ckpt-0000000015-prune-before.safetensors");
    assertThat(e.getCheckpointAfter()).isEqualTo("ckpt-0000000015-prune.safetensors");

    // The scores are the L1 norms of each neuron's slices in the checkpoint before the event, read
    // back from the file: neuron j of layer l owns column j of w<l>, entry j of b<l> and row j of
    // w<l+1>.
    Checkpoint before = checkpoint(out.resolve("checkpoints").resolve(e.getCheckpointBefore()));
    for (int s = 0; s < 24; s++) {
      int layer = s / 12;
      int j = s % 12;
      double l1 =
          l1(before, "w" + layer, 1, j)
              + Math.abs(before.weights().get("b" + layer).floats()[j])
              + l1(before, "w" + (layer + 1), 0, j);
      assertThat(e.getScores().get(s))
          .as(e.getStructureIds().get(s))
          .isCloseTo(l1, org.assertj.core.api.Assertions.within(1e-9 * l1));
    }
    // Kept: the 12 largest, with at least one per layer (protection), as the masks after the event
    // say.
    Checkpoint after = checkpoint(out.resolve("checkpoints").resolve(e.getCheckpointAfter()));
    for (int s = 0; s < 24; s++) {
      boolean kept = after.masks().get("layer" + s / 12).floats()[s % 12] != 0f;
      assertThat(kept).isEqualTo(e.getKeptAfter().get(s));
      double score = e.getScores().get(s);
      long larger = e.getScores().stream().filter(v -> v > score).count();
      int layer = s / 12;
      boolean bestOfLayer =
          e.getScores().subList(layer * 12, layer * 12 + 12).stream().allMatch(v -> v <= score);
      if (larger >= 12 && !bestOfLayer) {
        assertThat(kept).as("neuron %d with %d larger scores", s, larger).isFalse();
      }
      if (larger < 12 - 2) { // among the 10 best: kept whatever the two layers' protection takes
        assertThat(kept).as("neuron %d with %d larger scores", s, larger).isTrue();
      }
    }
    assertThat(before.masks().get("layer0").floats()).containsOnly(1f);
    // Training went on from the pruned model: the final checkpoint keeps exactly those neurons.
    Checkpoint last =
        new CheckpointStore(out.resolve("checkpoints"), RetentionPolicy.keepAll())
            .latestValid()
            .orElseThrow();
    assertThat(last.step()).isEqualTo(60);
    assertThat(last.masks().get("layer0").floats()).isEqualTo(after.masks().get("layer0").floats());
    assertThat(result.metrics().get(result.metrics().size() - 1).keptParameters())
        .isEqualTo(e.getKeptParametersAfter());
  }

  @Test
  void aRunKilledBetweenTheCheckpointsAroundAnEventRedoesItAsTheUninterruptedRunDid()
      throws Exception {
    RunSpec spec =
        spec(
            "pruning: {method: random, schedule: iterative, every_epochs: 1, fraction: 0.25,"
                + " final_ratio: 0.5}\n");
    Path whole = dir.resolve("iterative-whole");
    TrainingRun.Result uninterrupted = TrainingRun.run(spec, whole, Device.cpu(), r -> {});
    // 20 steps per epoch: events after epochs 1, 2 and 3 (24 -> 18 -> 14 -> 12 kept).
    assertThat(uninterrupted.pruneSteps()).containsExactly(20L, 40L, 60L);
    assertThat(events(whole)).extracting(PruneEvent::getTargetKept).containsExactly(18, 14, 12);
    assertThat(events(whole))
        .allSatisfy(
            e ->
                assertThat(e.getKeptAfter().stream().filter(k -> k).count())
                    .isEqualTo(e.getTargetKept()));

    // Killed after writing the checkpoint before the step-40 event: nothing after it exists.
    Path killed = dir.resolve("iterative-killed");
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
    Files.delete(killed.resolve("prune-events/event-0000000060.avro"));
    TrainingRun.Result resumed = TrainingRun.run(spec, killed, Device.cpu(), r -> {});
    assertThat(resumed.resumedFromStep()).isEqualTo(40);
    assertThat(resumed.pruneSteps()).containsExactly(20L, 40L, 60L);
    assertThat(resumed.metrics())
        .extracting(MetricRecord::evalLoss)
        .isEqualTo(uninterrupted.metrics().stream().map(MetricRecord::evalLoss).toList());
    List<PruneEvent> redone = events(killed);
    List<PruneEvent> original = events(whole);
    assertThat(redone).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(redone.get(i).getScores()).isEqualTo(original.get(i).getScores());
      assertThat(redone.get(i).getKeptAfter()).isEqualTo(original.get(i).getKeptAfter());
      assertThat(redone.get(i).getEvent()).isEqualTo(i);
    }
  }

  @Test
  void lotteryTicketRewindsTheWeightsToTheRewindPointAndKeepsTheMasks() {
    RunSpec spec =
        spec("pruning: {method: lth, step: 30, ratio: 0.5, options: {rewind_fraction: 0.1}}\n");
    Path out = dir.resolve("lth");
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});
    assertThat(result.pruneSteps()).containsExactly(30L);
    PruneEvent e = events(out).get(0);
    assertThat(e.getRewoundToStep()).isEqualTo(6L);
    assertThat(e.getMethodOptions()).containsEntry("rewind_fraction", "0.1");
    Checkpoint rewind = checkpoint(out.resolve("rewind/ckpt-0000000006.safetensors"));
    Checkpoint before = checkpoint(out.resolve("checkpoints").resolve(e.getCheckpointBefore()));
    Checkpoint after = checkpoint(out.resolve("checkpoints").resolve(e.getCheckpointAfter()));
    assertThat(after.step()).isEqualTo(30);
    // After the event the pruned neurons are sliced out (compaction): each tensor holds the rewind
    // point's values at the kept neurons' rows and columns, read here from the masks.
    boolean[] kept0 = kept(after.masks().get("layer0").floats());
    boolean[] kept1 = kept(after.masks().get("layer1").floats());
    boolean[] all = new boolean[12];
    java.util.Arrays.fill(all, true);
    boolean[] inputs = new boolean[3 * 32 * 32];
    java.util.Arrays.fill(inputs, true);
    boolean[] classes = new boolean[10];
    java.util.Arrays.fill(classes, true);
    boolean[][][] keptAxes = {
      {inputs, kept0}, {kept0}, {kept0, kept1}, {kept1}, {kept1, classes}, {classes}
    };
    List<String> names = List.of("w0", "b0", "w1", "b1", "w2", "b2");
    for (int n = 0; n < names.size(); n++) {
      String name = names.get(n);
      float[] expected = keptValues(rewind.weights().get(name).floats(), keptAxes[n]);
      assertThat(after.weights().get(name).floats()).as(name).isEqualTo(expected);
      assertThat(expected)
          .as(name)
          .isNotEqualTo(keptValues(before.weights().get(name).floats(), keptAxes[n]));
    }
    assertThat(after.masks()).containsKey("compaction/layer0");
    assertThat(before.masks()).doesNotContainKey("compaction/layer0");
    assertThat(after.masks().get("layer0").floats()).contains(0f);
    assertThat(rewind.masks().get("layer0").floats()).containsOnly(1f);
  }

  /**
   * Iterative lth on a compacted model: at the second and third events the model is already
   * smaller, and the rewind point (written before any event, full size) is cut down to it.
   */
  @Test
  void iterativeLotteryTicketCutsTheFullSizeRewindPointToTheCompactedModel() {
    RunSpec spec =
        spec(
            "pruning: {method: lth, schedule: iterative, every_epochs: 1, fraction: 0.25,"
                + " final_ratio: 0.5, options: {rewind_fraction: 0.1}}\n");
    Path out = dir.resolve("lth-iterative");
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});
    assertThat(result.pruneSteps()).containsExactly(20L, 40L, 60L);
    Checkpoint rewind = checkpoint(out.resolve("rewind/ckpt-0000000006.safetensors"));
    for (PruneEvent e : events(out)) {
      Checkpoint after = checkpoint(out.resolve("checkpoints").resolve(e.getCheckpointAfter()));
      boolean[] kept0 = kept(after.masks().get("layer0").floats());
      boolean[] kept1 = kept(after.masks().get("layer1").floats());
      boolean[] inputs = new boolean[3 * 32 * 32];
      java.util.Arrays.fill(inputs, true);
      assertThat(after.weights().get("w0").floats())
          .as("w0 after the event at step " + e.getStep())
          .isEqualTo(
              keptValues(rewind.weights().get("w0").floats(), new boolean[][] {inputs, kept0}));
      assertThat(after.weights().get("w1").floats())
          .as("w1 after the event at step " + e.getStep())
          .isEqualTo(
              keptValues(rewind.weights().get("w1").floats(), new boolean[][] {kept0, kept1}));
      assertThat(after.weights().get("w1").shape()).containsExactly(count(kept0), count(kept1));
    }
  }

  private static long count(boolean[] kept) {
    long n = 0;
    for (boolean k : kept) {
      n += k ? 1 : 0;
    }
    return n;
  }

  private static boolean[] kept(float[] mask) {
    boolean[] kept = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      kept[i] = mask[i] != 0f;
    }
    return kept;
  }

  /** The entries of a 1-D or row-major 2-D array at kept rows (and kept columns). */
  private static float[] keptValues(float[] values, boolean[][] axes) {
    int columns = axes.length == 2 ? axes[1].length : 1;
    List<Float> out = new ArrayList<>();
    for (int r = 0; r < axes[0].length; r++) {
      for (int c = 0; c < columns; c++) {
        if (axes[0][r] && (axes.length == 1 || axes[1][c])) {
          out.add(values[r * columns + c]);
        }
      }
    }
    float[] array = new float[out.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = out.get(i);
    }
    return array;
  }

  @Test
  void aScheduleThatProtectionCannotMeetIsRefusedBeforeAnythingIsWritten() {
    Path out = dir.resolve("refused");
    // 24 neurons in 2 layers; 0.95 keeps 2, but min_per_layer 3 keeps 6.
    assertThatThrownBy(
            () ->
                TrainingRun.run(
                    spec("pruning: {method: magnitude, step: 10, ratio: 0.95, min_per_layer: 3}\n"),
                    out,
                    Device.cpu(),
                    r -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "keeps 2 of 24 neurons in the end, but min_per_layer 3 keeps 6 (2 layers)");
    // Per layer, each layer of 12 keeps 12 - floor(0.95 * 12) = 1, below min_per_layer 3.
    assertThatThrownBy(
            () ->
                TrainingRun.run(
                    spec(
                        "pruning: {method: magnitude, step: 10, ratio: 0.95, min_per_layer: 3,"
                            + " allocation: per-layer}\n"),
                    out,
                    Device.cpu(),
                    r -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "(allocation per-layer) keeps 1 of the 12 neurons of layer 0 in the end, but min_per_layer"
                + " is 3");
    assertThat(out.resolve("run.json")).doesNotExist();
    assertThatThrownBy(
            () ->
                TrainingRun.run(
                    spec("pruning: {method: lth, step: 2, ratio: 0.5}\n"),
                    out,
                    Device.cpu(),
                    r -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "lth rewinds to step 3 (rewind_fraction 0.05) but the schedule first prunes at step 2");
    assertThatThrownBy(
            () ->
                TrainingRun.run(
                    spec("pruning: {method: lth, step: 0, ratio: 0.5}\n"),
                    out,
                    Device.cpu(),
                    r -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "lth rewinds to step 3 (rewind_fraction 0.05) but the schedule first prunes at step 0");
  }

  /**
   * Σ |w| over column {@code index} ({@code axis} 1) or row {@code index} ({@code axis} 0) of
   * matrix {@code name}.
   */
  private static double l1(Checkpoint c, String name, int axis, int index) {
    float[] w = c.weights().get(name).floats();
    long[] shape = c.weights().get(name).shape();
    double sum = 0;
    for (int k = 0; k < shape[1 - axis]; k++) {
      sum += Math.abs(w[(int) (axis == 1 ? k * shape[1] + index : index * shape[1] + k)]);
    }
    return sum;
  }
}
