package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.prune.PruningMethod;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every baseline the paper compares against, on each of its four testbeds, from a run file that
 * names only the method and its schedule: scope, allocation and options are the defaults, which
 * follow the methods' authors and the paper. Each row runs a reduced model end to end and checks
 * the records (the events' method, scope, options, allocation and kept counts against the closed
 * form of the ratio, the checkpoints they name, finite metrics in result.json), never which method
 * wins. On VGG-16 and ResNet-56, SNIP, GraSP and LTH prune single weights ({@code scope:
 * [weights]}, the paper's protocol) by default; their kept weights are the target count exactly.
 *
 * <p>One row per line of {@link #rows}; a row is the testbed, the method, the {@code pruning:}
 * block and the allocation its defaults must give.
 */
class PaperBaselinesTest {
  @TempDir static Path dir;
  static Path text;
  static Path images;

  /** The reduced testbeds. CIFAR: 80 training images, 5 steps an epoch at batch 16. */
  private static final Map<String, String> TESTBEDS =
      Map.of(
          "bert",
          "model: bert-tiny\nmodel_options: {hidden: 32, layers: 2, heads: 4, ffn: 64}\n"
              + "batch_size: 4\nsteps: 16\n",
          "switch",
          "model: switch-tiny\n"
              + "model_options: {hidden: 32, layers: 2, heads: 2, ffn: 32, experts: 4}\n"
              + "batch_size: 4\nsteps: 16\n",
          "vgg16",
          "model: vgg16\nmodel_options: {width_divisor: 16}\nbatch_size: 16\nlearning_rate: 0.05\n"
              + "steps: 10\n",
          "resnet56",
          "model: resnet56\nmodel_options: {blocks_per_stage: 1}\nbatch_size: 16\nsteps: 10\n");

  /**
   * The paper's protocol for the methods: SNIP and GraSP at initialisation, IMP iterative (40 % of
   * what is left per round reaches the final 50 % of every layer in two rounds), DPFPS progressive
   * from scratch.
   */
  private static final String AT_INIT = "step: 0, ratio: 0.5";

  private static final String IMP_ON_CNN =
      "schedule: iterative, every_epochs: 1, fraction: 0.4, final_ratio: 0.5";
  private static final String TRAINED = "step: 8, ratio: 0.5";
  private static final String CNN_TRAINED = "step: 5, ratio: 0.5";
  private static final String PROGRESSIVE =
      "schedule: linear, start_epoch: 0, end_epoch: 1, final_ratio: 0.5";

  static Stream<Arguments> rows() {
    return Stream.of(
        // BERT: heads, global (Michel et al.'s head ranking)
        row("bert", "lth", TRAINED, "global"),
        row("bert", "grad-score", TRAINED, "global"), // Att-Score
        row("bert", "snip", AT_INIT, "global"),
        row("bert", "grasp", AT_INIT, "global"),
        // Switch: experts, global
        row("switch", "lth", TRAINED, "global"),
        row("switch", "grad-score", TRAINED, "global"), // Exp-Score
        row("switch", "snip", AT_INIT, "global"),
        row("switch", "grasp", AT_INIT, "global"),
        // VGG-16: filters per layer for FPGM and CHIP (CHIP's own table), DPFPS's own allocation;
        // SNIP, GraSP and LTH unstructured, as the paper runs them: single weights, one global
        // ranking of every convolution and linear weight
        row("vgg16", "fpgm", CNN_TRAINED, "per-layer"),
        row("vgg16", "chip", CNN_TRAINED, "chip-vgg16"),
        row("vgg16", "dpfps", PROGRESSIVE, "global"),
        row("vgg16", "lth", IMP_ON_CNN, "global"),
        row("vgg16", "snip", AT_INIT, "global"),
        row("vgg16", "grasp", AT_INIT, "global"),
        // ResNet-56: filters (the blocks' inner convolutions); SNIP, GraSP, LTH as for VGG-16
        row("resnet56", "fpgm", CNN_TRAINED, "per-layer"),
        row("resnet56", "dpfps", PROGRESSIVE, "global"),
        row("resnet56", "lth", IMP_ON_CNN, "global"),
        row("resnet56", "snip", AT_INIT, "global"),
        row("resnet56", "grasp", AT_INIT, "global"));
  }

  private static Arguments row(String testbed, String method, String schedule, String allocation) {
    return Arguments.of(testbed, method, schedule, allocation);
  }

  @BeforeAll
  static void shards() throws Exception {
    text = TestShardSets.syntheticWikiText(dir);
    images = TestShardSets.syntheticCifar10(dir, 5, 16);
  }

  @ParameterizedTest(name = "{1} on {0}: {2}")
  @MethodSource("rows")
  void runsWithItsAuthorsDefaultsAndRecordsItsEvents(
      String testbed, String method, String schedule, String allocation) throws Exception {
    boolean cnn = testbed.equals("vgg16") || testbed.equals("resnet56");
    RunSpec spec =
        RunSpec.parse(
            TESTBEDS.get(testbed)
                + "data: "
                + (cnn ? images : text)
                + "\neval_every: 5\neval_samples: 8\n"
                + "pruning: {method: "
                + method
                + ", "
                + schedule
                + ", scoring_samples: 8, scoring_batch: 4}\n",
            dir);
    Path out = dir.resolve(testbed + "-" + method);
    boolean weights = paperScope(testbed, method).equals("weights");

    TrainingRun.Result result = TrainingRun.run(spec, out, Device.cpu(), r -> {});

    assertThat(result.status()).isEqualTo(TrainingRun.Status.FINISHED);
    assertThat(result.metrics()).isNotEmpty().allSatisfy(m -> assertThat(m.evalLoss()).isFinite());
    assertThat(Files.readString(out.resolve("result.json"))).contains("\"metrics\"");
    List<PruneEvent> events =
        AvroFiles.read(out.resolve(PruneEventFiles.COMBINED), PruneEvent.class);
    assertThat(events).isNotEmpty();
    assertThat(events.stream().map(PruneEvent::getStep).toList())
        .isEqualTo(result.pruneSteps())
        .isSorted();
    int lastTarget = Integer.MAX_VALUE;
    for (PruneEvent e : events) {
      assertThat(e.getMethod()).isEqualTo(method);
      assertThat(e.getAllocation()).as("allocation").isEqualTo(allocation);
      assertThat(e.getScope()).containsExactly(paperScope(testbed, method));
      // the options are the method's own defaults, every one recorded
      assertThat(e.getMethodOptions())
          .isEqualTo(PruningMethod.of(method).describe(Map.of()))
          .containsAllEntriesOf(authorsDefaults(method));
      assertThat(e.getScores()).hasSize(e.getStructureIds().size()).doesNotContainNull();
      assertThat(e.getScores()).allSatisfy(s -> assertThat(s).isNotNaN());
      if (weights) {
        // one entry per weight tensor; the target counts single weights, met exactly, and the
        // parameter count drops by exactly the weights removed; every tensor keeps some
        long before = sum(e.getKeptWeightsBefore());
        long after = sum(e.getKeptWeightsAfter());
        assertThat(e.getKeptWeightsAfter()).hasSize(e.getStructureIds().size());
        assertThat(after).isEqualTo(e.getTargetKept());
        assertThat(e.getKeptParametersBefore() - e.getKeptParametersAfter())
            .isEqualTo(before - after);
        assertThat(e.getKeptWeightsAfter()).allSatisfy(k -> assertThat(k).isPositive());
        assertThat(e.getKeptAfter()).containsOnly(true);
      } else {
        assertThat(e.getKeptWeightsAfter()).isEmpty();
        assertThat(e.getKeptAfter().stream().filter(k -> k).count()).isEqualTo(e.getTargetKept());
      }
      assertThat(e.getTargetKept()).isLessThan(lastTarget);
      lastTarget = e.getTargetKept();
      assertThat(e.getKeptParametersAfter()).isLessThan(e.getKeptParametersBefore());
      assertThat(e.getScoringSamples()).isEqualTo(8);
      assertThat(out.resolve("checkpoints").resolve(e.getCheckpointBefore().toString())).exists();
      assertThat(out.resolve("checkpoints").resolve(e.getCheckpointAfter().toString())).exists();
      assertThat(e.getRewoundToStep() != null).isEqualTo(method.equals("lth"));
    }
    if (AT_INIT.equals(schedule)) {
      assertThat(events).singleElement().satisfies(e -> assertThat(e.getStep()).isZero());
    }
    // The last event meets the final ratio 0.5: a group of n keeps n - floor(n / 2), per layer, by
    // CHIP's table, or over the scope at once (global); single weights: n of every prunable weight,
    // all kept at the first event.
    PruneEvent last = events.get(events.size() - 1);
    if (weights) {
      long all = sum(events.get(0).getKeptWeightsBefore());
      // biases and batch-norm parameters are not prunable weights
      assertThat(events.get(0).getKeptParametersBefore()).isGreaterThan(all);
      assertThat((long) last.getTargetKept()).isEqualTo(all - all / 2);
      return;
    }
    Map<String, int[]> groups = new TreeMap<>(); // group -> {size, kept}
    for (int i = 0; i < last.getStructureIds().size(); i++) {
      String id = last.getStructureIds().get(i).toString();
      int[] g = groups.computeIfAbsent(id.substring(0, id.indexOf('/')), k -> new int[2]);
      g[0]++;
      g[1] += last.getKeptAfter().get(i) ? 1 : 0;
    }
    int p = last.getStructureIds().size();
    switch (allocation) {
      case "global" -> {
        assertThat(last.getTargetKept()).isEqualTo(p - p / 2);
        assertThat(groups.values()).allSatisfy(g -> assertThat(g[1]).isPositive());
      }
      case "per-layer" ->
          groups.forEach((group, g) -> assertThat(g[1]).as(group).isEqualTo(g[0] - g[0] / 2));
      case "chip-vgg16" -> {
        int l = 0;
        for (Map.Entry<String, int[]> group : sortedConvolutions(groups)) {
          int[] g = group.getValue();
          double ratio = l++ < 7 ? 0.2 : 0.6;
          assertThat(g[1])
              .as(group.getKey())
              .isEqualTo(g[0] - (int) Math.floor(ratio * g[0] + 1e-9));
        }
      }
      default -> throw new AssertionError(allocation);
    }
  }

  /**
   * The structures the paper prunes with each method: the transformers' heads and experts; on the
   * CNNs single weights for SNIP, GraSP and LTH (unstructured, as their authors and the paper's
   * VGG-16 table run them), filters for FPGM, CHIP and DPFPS.
   */
  private static String paperScope(String testbed, String method) {
    return switch (testbed) {
      case "bert" -> "heads";
      case "switch" -> "experts";
      default -> List.of("snip", "grasp", "lth").contains(method) ? "weights" : "filters";
    };
  }

  private static long sum(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).sum();
  }

  /**
   * The published hyperparameters each method's defaults must carry (written out here, not read
   * from the code under test).
   */
  private static Map<String, String> authorsDefaults(String method) {
    return switch (method) {
      case "lth" -> Map.of("rewind_fraction", "0.05"); // Frankle et al. 2020: rewind early
      case "fpgm" -> Map.of("criterion", "distance"); // He et al. 2019 at 50 %
      case "dpfps" -> Map.of("prune_threshold", "0.01"); // Ruan et al.'s prune_thr
      case "grasp" -> Map.of("relative_step", "0.001");
      default -> Map.of();
    };
  }

  /** conv0 … conv12 in the order of the network (not of their names). */
  private static List<Map.Entry<String, int[]>> sortedConvolutions(Map<String, int[]> groups) {
    return groups.entrySet().stream()
        .sorted(
            java.util.Comparator.comparingInt(
                e -> Integer.parseInt(e.getKey().substring("conv".length()))))
        .toList();
  }
}
