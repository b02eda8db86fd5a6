package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.read.ShardSet;
import dev.polyak.nn.WeightMasks;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Unstructured snip, grasp and lth ({@code scope: [weights]}, the paper's VGG-16 protocol) end to
 * end through {@link TrainingRun} on a reduced VGG-16 and ResNet-8 at 90 %: the event record's kept
 * weights are exactly the global target, the parameter count drops by exactly the removed weights,
 * the final checkpoint's weight masks are the event's with every removed weight still exactly zero
 * after training on, and restoring the checkpoint into a new trainer gives the masks to the bit.
 * Asserts the products, never which method does better.
 */
class WeightScopeRunTest {
  @TempDir static Path dir;
  static Path images;

  @BeforeAll
  static void shards() throws Exception {
    images = TestShardSets.syntheticCifar10(dir, 5, 16);
  }

  static Stream<Arguments> cases() {
    List<String> models =
        List.of(
            "model: vgg16\nmodel_options: {width_divisor: 16}\n",
            "model: resnet56\nmodel_options: {blocks_per_stage: 1}\n");
    return Stream.of("snip", "grasp", "lth")
        .flatMap(method -> models.stream().map(model -> Arguments.of(method, model)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void prunesSingleWeightsToTheTargetAndKeepsThemPruned(String method, String model)
      throws Exception {
    boolean lth = method.equals("lth");
    RunSpec spec =
        RunSpec.parse(
            model
                + "batch_size: 8\nlearning_rate: 0.05\ndata: "
                + images
                + "\nsteps: 12\neval_every: 6\neval_samples: 8\n"
                + "pruning: {method: "
                + method
                + ", scope: [weights], step: "
                + (lth ? 6 : 0)
                + ", ratio: 0.9, scoring_samples: 8, scoring_batch: 4}\n",
            dir);
    Path out = dir.resolve(method + "-" + spec.model());
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});
    assertThat(result.status()).isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(result.metrics()).allSatisfy(m -> assertThat(m.evalLoss()).isFinite());

    PruneEvent e =
        AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class).stream()
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(e.getScope()).containsExactly("weights");
    assertThat(e.getAllocation()).isEqualTo("global");
    assertThat(e.getStep()).isEqualTo(lth ? 6 : 0);
    assertThat(e.getRewoundToStep()).isEqualTo(lth ? 1L : null);
    try (Trainer fresh = Trainers.create(spec, ShardSet.open(spec.data()), Device.cpu())) {
      WeightMasks masks = fresh.model().weightMasks();
      assertThat(e.getStructureIds()).isEqualTo(masks.names());
      long total = masks.count();
      long target = total - (long) Math.floor(0.9 * total);
      assertThat((long) e.getTargetKept()).isEqualTo(target);
      assertThat(e.getKeptWeightsBefore())
          .isEqualTo(masks.names().stream().map(n -> (long) masks.size(n)).toList());
      assertThat(e.getKeptWeightsAfter().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(target);
      assertThat(e.getScores()).allSatisfy(s -> assertThat(s).isFinite());
      assertThat(e.getKeptParametersBefore()).isEqualTo(fresh.model().parameters().count());
      assertThat(e.getKeptParametersAfter())
          .isEqualTo(e.getKeptParametersBefore() - (total - target));
      assertThat(e.getFlopsAfter()).isEqualTo(e.getFlopsBefore());

      Checkpoint last =
          new CheckpointStore(out.resolve("checkpoints"), RetentionPolicy.keepAll())
              .latestValid()
              .orElseThrow();
      assertThat(last.step()).isEqualTo(12);
      for (int t = 0; t < masks.names().size(); t++) {
        String name = masks.names().get(t);
        Tensor mask = last.masks().get(TrainerCheckpoints.WEIGHT_MASK_PREFIX + name);
        long kept = e.getKeptWeightsAfter().get(t);
        if (kept == masks.size(name)) {
          assertThat(mask).as(name).isNull();
          continue;
        }
        float[] m = mask.floats();
        float[] w = last.weights().get(name).floats();
        long ones = 0;
        for (int i = 0; i < m.length; i++) {
          ones += m[i] != 0f ? 1 : 0;
          if (m[i] == 0f) {
            assertThat(w[i]).as("%s[%d] removed, after training on", name, i).isZero();
          }
        }
        assertThat(ones).as(name).isEqualTo(kept);
      }

      // polyak export writes each weight mask beside its weight, the removed weights zero.
      Path exported = out.resolve("export.safetensors");
      dev.polyak.checkpoint.SafetensorsExport.write(exported, last);
      java.util.Map<String, Tensor> file =
          dev.polyak.checkpoint.Safetensors.read(exported).tensors();
      for (String name : last.masks().keySet()) {
        assertThat(file.get("mask/" + name).floats())
            .as(name)
            .isEqualTo(last.masks().get(name).floats());
      }
      assertThat(file.keySet())
          .anyMatch(k -> k.startsWith("mask/" + TrainerCheckpoints.WEIGHT_MASK_PREFIX));

      // Resume: the checkpoint's weight masks come back to the bit.
      TrainerCheckpoints.restore(fresh, last);
      for (String name : masks.names()) {
        Tensor mask = last.masks().get(TrainerCheckpoints.WEIGHT_MASK_PREFIX + name);
        if (mask == null) {
          assertThat(masks.allKept(name)).as(name).isTrue();
        } else {
          assertThat(masks.mask(name)).as(name).isEqualTo(mask.floats());
        }
      }
      assertThat(fresh.model().keptParameters()).isEqualTo(e.getKeptParametersAfter());
    }
  }

  /**
   * lth with {@code rewind_schedule: true}: after the event at step 8 the learning rate is read
   * from the paper's step schedule (0.05 until step 6 of 12, then 0.005, from step 9 0.0005) at the
   * rewind step 1 plus the steps since the event, so the last step (11) trains at the rate of step
   * 4, the base rate, where without the option it trains at 0.0005.
   */
  @org.junit.jupiter.api.Test
  void lthRewindsTheLearningRateScheduleWhenAsked() {
    RunSpec spec =
        RunSpec.parse(
            "model: vgg16\nmodel_options: {width_divisor: 16}\nbatch_size: 8\nlearning_rate: 0.05\n"
                + "data: "
                + images
                + "\nsteps: 12\neval_every: 4\neval_samples: 8\n"
                + "pruning: {method: lth, scope: [weights], step: 8, ratio: 0.5, scoring_samples: 8,"
                + " options: {rewind_schedule: true}}\n",
            dir);
    Path out = dir.resolve("lth-rewind-schedule");
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});
    assertThat(result.status()).isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(result.metrics()).extracting(MetricRecord::step).containsExactly(4L, 8L, 12L);
    // Steps 3 and 7 come before the event: the schedule as it is (step 7 is past half: 0.005).
    assertThat(result.metrics().get(0).learningRate()).isCloseTo(0.05, within(1e-12));
    assertThat(result.metrics().get(1).learningRate()).isCloseTo(0.005, within(1e-12));
    assertThat(result.metrics().get(2).learningRate()).isCloseTo(0.05, within(1e-12));
    PruneEvent e = AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class).get(0);
    assertThat(e.getRewoundToStep()).isEqualTo(1L);
    assertThat(e.getMethodOptions()).containsEntry("rewind_schedule", "true");
  }
}
