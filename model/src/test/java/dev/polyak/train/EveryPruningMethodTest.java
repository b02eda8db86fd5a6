package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.prune.PruningMethod;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pruning method end to end through {@link TrainingRun} on the three scopes the paper prunes:
 * bert-tiny's heads, a small Switch's experts and a reduced VGG-16's filters, for a few dozen steps
 * (chip and dpfps, filters only, on the VGG only; the VGG's scope named, since snip, grasp and lth
 * prune single weights there by default). Asserts the pipeline's products, not which method does
 * better: one event record whose kept count is the target (per layer for filters, CHIP's table for
 * chip), a final checkpoint whose masks are the event's, finite metrics.
 */
class EveryPruningMethodTest {
  @TempDir static Path dir;
  static Path text;
  static Path images;

  @BeforeAll
  static void shards() throws Exception {
    text = TestShardSets.syntheticWikiText(dir);
    images = TestShardSets.syntheticCifar10(dir, 5, 16);
  }

  static Stream<Arguments> cases() {
    List<String> models =
        List.of(
            "model: bert-tiny\n"
                + "model_options: {hidden: 32, layers: 2, heads: 4, ffn: 64}\n"
                + "batch_size: 4\n",
            "model: switch-tiny\n"
                + "model_options: {hidden: 32, layers: 2, heads: 2, ffn: 32, experts: 4}\n"
                + "batch_size: 4\n",
            "model: vgg16\n"
                + "model_options: {width_divisor: 16}\n"
                + "batch_size: 8\n"
                + "learning_rate: 0.05\n");
    return Arrays.stream(PruningMethod.values())
        .flatMap(
            m ->
                models.stream()
                    .filter(
                        model ->
                            (m != PruningMethod.CHIP && m != PruningMethod.DPFPS)
                                || model.contains("vgg16"))
                    .map(model -> Arguments.of(m.id(), model)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void runsEndToEndAndRecordsItsEvent(String method, String model) throws Exception {
    boolean atInit = method.equals("snip") || method.equals("grasp");
    String pruning =
        method.equals("dense")
            ? "pruning: {method: dense}\n"
            : "pruning: {method: "
                + method
                + ", step: "
                + (atInit ? 0 : 8)
                + ", ratio: 0.5, scoring_samples: 8, scoring_batch: 4"
                // snip, grasp and lth prune single weights on a CNN unless told filters
                + (model.contains("vgg16") ? ", scope: [filters]" : "")
                + (method.equals("pl-gate")
                    ? ", options: {gate_batches: 4, hutchinson_probes: 2}"
                    : "")
                + "}\n";
    boolean tokens = !model.contains("vgg16");
    RunSpec spec =
        RunSpec.parse(
            model
                + "data: "
                + (tokens ? text : images)
                + "\nsteps: 16\neval_every: 8\n"
                + "eval_samples: 8\n"
                + pruning,
            dir);
    Path out = dir.resolve(method + "-" + spec.model());
    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});
    assertThat(result.status()).isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(result.metrics()).allSatisfy(m -> assertThat(m.evalLoss()).isFinite());
    Checkpoint last =
        new CheckpointStore(out.resolve("checkpoints"), RetentionPolicy.keepAll())
            .latestValid()
            .orElseThrow();
    assertThat(last.step()).isEqualTo(16);
    if (method.equals("dense")) {
      assertThat(out.resolve(PruneEventFiles.COMBINED)).doesNotExist();
      assertThat(result.pruneSteps()).isEmpty();
      return;
    }
    List<PruneEvent> events =
        AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class);
    assertThat(events).hasSize(1);
    PruneEvent e = events.get(0);
    assertThat(e.getMethod()).isEqualTo(method);
    assertThat(e.getStep()).isEqualTo(atInit ? 0 : 8);
    boolean kernelMethod = method.equals("kappa-rank") || method.equals("pl-gate");
    assertThat(e.getKernel()).isEqualTo(kernelMethod ? "pntk" : "none");
    assertThat(e.getScores())
        .hasSize(e.getStructureIds().size())
        .allSatisfy(s -> assertThat(s).isNotNaN());
    int p = e.getStructureIds().size();
    if (tokens) {
      assertThat(e.getAllocation()).isEqualTo("global");
      assertThat(e.getTargetKept()).isEqualTo(p - p / 2);
    } else {
      // Filters: every convolution keeps n_l - floor(r_l n_l), r_l = 0.5 (per-layer) or CHIP's
      // table.
      // dpfps allocates through its scores (global); with every filter alive, as here, its rule
      // floor(n_l c) keeps the same half of each layer
      assertThat(e.getAllocation())
          .isEqualTo(
              switch (method) {
                case "chip" -> "chip-vgg16";
                case "dpfps" -> "global";
                default -> "per-layer";
              });
      int[] size = new int[13];
      int[] kept = new int[13];
      for (int i = 0; i < p; i++) {
        String id = e.getStructureIds().get(i);
        int layer = Integer.parseInt(id.substring("conv".length(), id.indexOf('/')));
        size[layer]++;
        kept[layer] += e.getKeptAfter().get(i) ? 1 : 0;
      }
      int target = 0;
      for (int l = 0; l < 13; l++) {
        double ratio = method.equals("chip") ? (l < 7 ? 0.2 : 0.6) : 0.5;
        int expected = size[l] - (int) Math.floor(ratio * size[l] + 1e-9);
        assertThat(kept[l]).as("conv%d of %d filters", l, size[l]).isEqualTo(expected);
        target += expected;
      }
      assertThat(e.getTargetKept()).isEqualTo(target);
    }
    assertThat(e.getKeptAfter().stream().filter(k -> k).count()).isEqualTo(e.getTargetKept());
    // The final masks are the event's: nothing pruned came back, nothing else was pruned.
    int i = 0;
    for (String id : e.getStructureIds()) {
      assertThat(kept(last, id, spec)).as(id).isEqualTo(e.getKeptAfter().get(i++));
    }
    if (method.equals("pl-gate")) {
      assertThat(e.getObjectiveTrace()).hasSize(4);
      assertThat(e.getMethodOptions())
          .containsEntry("gate_batches", "4")
          .containsEntry("alpha", "1");
    }
  }

  @org.junit.jupiter.api.Test
  void switchPrunesHeadsAndExpertsTogetherWithEveryLayerProtected() {
    RunSpec spec =
        RunSpec.parse(
            "model: switch-tiny\n"
                + "model_options: {hidden: 32, layers: 2, heads: 2, ffn: 32, experts: 4}\n"
                + "batch_size: 4\n"
                + "data: "
                + text
                + "\n"
                + "steps: 8\n"
                + "eval_every: 4\n"
                + "eval_samples: 8\n"
                + "pruning: {method: random, step: 4, ratio: 0.6, scope: [heads, experts],"
                + " scoring_samples: 8}\n",
            dir);
    Path out = dir.resolve("switch-heads-experts");
    TrainingRun.run(spec, out, Device.cpu(), r -> {});
    PruneEvent e = AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class).get(0);
    assertThat(e.getScope()).containsExactly("experts", "heads");
    // 2 layers x (2 heads + 4 experts) = 12 structures; 0.6 prunes floor(7.2) = 7 and keeps 5,
    // and each of the four mask groups (heads of layer 0, 1; experts of layer 0, 1) keeps one.
    assertThat(e.getStructureIds()).hasSize(12);
    assertThat(e.getTargetKept()).isEqualTo(5);
    int i = 0;
    java.util.Map<String, Integer> keptPerGroup = new java.util.TreeMap<>();
    for (String id : e.getStructureIds()) {
      String group =
          id.substring(0, id.indexOf('/')) + (id.contains("head") ? "/heads" : "/experts");
      keptPerGroup.merge(group, e.getKeptAfter().get(i++) ? 1 : 0, Integer::sum);
    }
    assertThat(keptPerGroup)
        .containsOnlyKeys("layer0/experts", "layer0/heads", "layer1/experts", "layer1/heads")
        .allSatisfy((group, kept) -> assertThat(kept).as(group).isPositive());
    assertThat(keptPerGroup.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(5);
  }

  /**
   * Whether the checkpoint's masks keep structure {@code id}, found in a freshly built model of the
   * spec.
   */
  private static boolean kept(Checkpoint checkpoint, String id, RunSpec spec) {
    try (Trainer trainer =
        Trainers.create(spec, dev.polyak.data.read.ShardSet.open(spec.data()), Device.cpu())) {
      dev.polyak.nn.Structure s =
          trainer.model().structures().stream()
              .filter(x -> x.id().equals(id))
              .findFirst()
              .orElseThrow();
      return checkpoint.masks().get("layer" + s.layer()).floats()[s.index()] != 0f;
    }
  }
}
