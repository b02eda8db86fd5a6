package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.polyak.BadInputException;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run file trained through {@link TrainingRun}: periodic checkpoints, a resume after a kill that
 * gives the uninterrupted metrics, a fall-back past a corrupt newest checkpoint, refusal of a
 * folder that holds another run or of changed shards, and identical trajectories for two runs of
 * one spec in one JVM at once. Image classification with augmentation on small synthetic CIFAR.
 */
class TrainingRunTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 7, 64);
  }

  private static RunSpec spec(long seed) {
    return RunSpec.parse(
        "model: mlp\nmodel_options: {hidden: 32, layers: 1}\ndata: "
            + shards
            + "\nseed: "
            + seed
            + "\nsteps: 40\nbatch_size: 16\nlearning_rate: 0.02\neval_every: 10\ncheckpoint_every: 20\neval_samples: 64\n",
        dir);
  }

  private static TrainingRun.Result run(RunSpec spec, Path out) {
    List<MetricRecord> seen = new ArrayList<>();
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), seen::add);
    assertThat(seen).isEqualTo(result.metrics());
    return result;
  }

  private static List<Path> checkpoints(Path out) throws Exception {
    try (Stream<Path> files = Files.list(out.resolve("checkpoints"))) {
      return files.sorted().toList();
    }
  }

  @Test
  void aKilledRunResumesFromItsLastCheckpointWithTheUninterruptedMetrics() throws Exception {
    RunSpec spec = spec(1);
    TrainingRun.Result whole = run(spec, dir.resolve("whole"));
    assertThat(whole.status()).isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(whole.metrics()).extracting(MetricRecord::step).containsExactly(10L, 20L, 30L, 40L);
    assertThat(whole.metrics()).allSatisfy(m -> assertThat(m.evalMetric()).isBetween(0.0, 1.0));
    assertThat(checkpoints(dir.resolve("whole")))
        .extracting(p -> p.getFileName().toString())
        .containsExactly("ckpt-0000000020.safetensors", "ckpt-0000000040.safetensors");
    assertThat(Files.readString(dir.resolve("whole/run.json"))).contains(spec.runId());
    assertThat(Files.readString(dir.resolve("whole/result.json"))).contains("FINISHED");

    // A second folder whose run was killed after its step-20 checkpoint: same files as the whole
    // run up to that point, nothing after it.
    assertResumesAsUninterrupted(spec, whole, "killed", 20);
  }

  /**
   * Runs {@code spec} in folder {@code name}, deletes every checkpoint after {@code killedAfter}
   * and the result (a run killed right after that checkpoint), runs it again and checks that it
   * resumed there and ended with {@code whole}'s metrics.
   */
  private static void assertResumesAsUninterrupted(
      RunSpec spec, TrainingRun.Result whole, String name, long killedAfter) throws Exception {
    Path killed = dir.resolve(name);
    run(spec, killed);
    String last = CheckpointStore.fileName(killedAfter, false); // zero-padded: names sort by step
    for (Path checkpoint : checkpoints(killed)) {
      if (checkpoint.getFileName().toString().compareTo(last) > 0) {
        Files.delete(checkpoint);
      }
    }
    Files.delete(killed.resolve("result.json"));
    TrainingRun.Result resumed = run(spec, killed);
    assertThat(resumed.resumedFromStep()).isEqualTo(killedAfter);
    assertThat(resumed.metrics()).isEqualTo(withoutTimes(whole.metrics(), resumed.metrics()));
  }

  @Test
  void aVgg16RunResumesWithItsBatchNormStatisticsAndDropoutPositions() throws Exception {
    // Batch-norm running statistics are buffers, not parameters: a resume must restore them too.
    RunSpec spec =
        RunSpec.parse(
            "model: vgg16\nmodel_options: {width_divisor: 16}\ndata: "
                + shards
                + "\nseed: 8\nsteps: 20\nbatch_size: 16\nlearning_rate: 0.05\neval_every: 5\ncheckpoint_every: 10\n"
                + "eval_samples: 32\n",
            dir);
    assertResumesAsUninterrupted(spec, run(spec, dir.resolve("vgg-whole")), "vgg-killed", 10);
  }

  @Test
  void aCorruptNewestCheckpointIsSkippedAndTheRunResumesFromThePreviousOne() throws Exception {
    RunSpec spec = spec(2);
    Path out = dir.resolve("corrupt");
    TrainingRun.Result whole = run(spec, out);
    Path newest = out.resolve("checkpoints/ckpt-0000000040.safetensors");
    TestShardSets.corruptByte(newest, Files.size(newest) / 2);
    Files.delete(out.resolve("result.json"));
    TrainingRun.Result resumed = run(spec, out);
    assertThat(resumed.resumedFromStep()).isEqualTo(20);
    assertThat(resumed.metrics()).isEqualTo(withoutTimes(whole.metrics(), resumed.metrics()));
    assertThat(
            new CheckpointStore(
                    out.resolve("checkpoints"), dev.polyak.checkpoint.RetentionPolicy.keepAll())
                .latestValid()
                .orElseThrow()
                .step())
        .isEqualTo(40);
  }

  @Test
  void aBatchLargerThanTheSplitIsRefusedBeforeAnythingIsWritten() {
    RunSpec tooBig =
        RunSpec.parse("model: mlp\ndata: " + shards + "\nsteps: 5\nbatch_size: 100000\n", dir);
    Path out = dir.resolve("too-big");
    assertThatThrownBy(() -> TrainingRun.run(tooBig, out, Device.cpu(), r -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch_size 100000 is larger than the training split (320 samples)");
    assertThat(out).doesNotExist();
  }

  @Test
  void aFolderOfAnotherRunIsRefused() {
    Path out = dir.resolve("taken");
    run(spec(3), out);
    assertThatThrownBy(() -> TrainingRun.run(spec(4), out, Device.cpu(), r -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("holds run " + spec(3).runId())
        .hasMessageContaining("not run " + spec(4).runId());
  }

  /** The training loss of every step of a run of {@code spec} in {@code out}. */
  private static List<Double> stepLosses(RunSpec spec, Path out) {
    List<Double> losses = new java.util.concurrent.CopyOnWriteArrayList<>();
    TrainingRun.run(
        spec,
        out,
        Device.cpu(),
        TrainingListener.onEachStep(
            (step, loss) -> {
              assertThat(step).isEqualTo(losses.size() + 1);
              losses.add(loss);
            }));
    return losses;
  }

  @Test
  void twoRunsOfOneSpecAtOnceInOneJvmHaveTheSameLossAtEveryStep() {
    // An MLP, and a reduced VGG-16 with batch norm and dropout; both with augmentation.
    RunSpec vgg =
        RunSpec.parse(
            "model: vgg16\nmodel_options: {width_divisor: 16}\ndata: "
                + shards
                + "\nseed: 5\nsteps: 20\nbatch_size: 16\nlearning_rate: 0.05\neval_every: 10\neval_samples: 32\n",
            dir);
    for (RunSpec spec : List.of(spec(5), vgg)) {
      CompletableFuture<List<Double>> a =
          CompletableFuture.supplyAsync(
              () -> stepLosses(spec, dir.resolve("twin-a-" + spec.runId())));
      CompletableFuture<List<Double>> b =
          CompletableFuture.supplyAsync(
              () -> stepLosses(spec, dir.resolve("twin-b-" + spec.runId())));
      List<Double> first = a.join();
      assertThat(first).hasSize((int) spec.training().steps());
      assertThat(b.join()).as(spec.model()).containsExactlyElementsOf(first);
    }
    // and a different seed is a different trajectory
    assertThat(stepLosses(spec(6), dir.resolve("other-seed")).get(0))
        .isNotEqualTo(stepLosses(spec(5), dir.resolve("seed-5")).get(0));
  }

  @Test
  void aSwitchTransformerRunResumesExactlyToo() throws Exception {
    Path corpus = dir.resolve("corpus");
    new dev.polyak.data.synthetic.SyntheticWikiText(300).write(corpus, 5, 12, 3, 3);
    Path textShards = Files.createDirectories(dir.resolve("text-shards"));
    TestShardSets.text(
        corpus, textShards, dev.polyak.data.text.WikiTextConfig.defaults().withRowsPerShard(50));
    RunSpec spec =
        RunSpec.parse(
            String.join(
                "\n",
                "model: switch-tiny",
                "model_options: {hidden: 32, layers: 1, heads: 2, ffn: 64, experts: 2}",
                "data: " + textShards,
                "steps: 12",
                "batch_size: 4",
                "eval_every: 3",
                "checkpoint_every: 6",
                "eval_samples: 8",
                ""),
            dir);
    TrainingRun.Result whole = run(spec, dir.resolve("switch-whole"));
    assertThat(whole.metrics()).extracting(MetricRecord::step).containsExactly(3L, 6L, 9L, 12L);
    assertThat(whole.metrics())
        .allSatisfy(m -> assertThat(m.evalMetric()).isFinite().isGreaterThan(1));

    assertResumesAsUninterrupted(spec, whole, "switch-killed", 6);
  }

  /**
   * {@code expected} with each record's step time taken from {@code actual} (wall time is not
   * reproducible).
   */
  private static List<MetricRecord> withoutTimes(
      List<MetricRecord> expected, List<MetricRecord> actual) {
    assertThat(actual).hasSameSizeAs(expected);
    List<MetricRecord> out = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      MetricRecord e = expected.get(i);
      out.add(
          new MetricRecord(
              e.step(),
              e.trainLoss(),
              e.evalLoss(),
              e.evalMetric(),
              e.learningRate(),
              actual.get(i).stepMillis(),
              e.keptParameters()));
    }
    return out;
  }
}
