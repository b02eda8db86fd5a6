package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.BadInputException;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.KernelPath;
import dev.polyak.nn.Structure;
import dev.polyak.prune.PruningMethod;
import dev.polyak.prune.PruningSchedule;
import dev.polyak.sweep.DiagnosticsPlan.Every;
import dev.polyak.train.ModelFamily;
import dev.polyak.train.RunSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sweep.yaml: a validated grid of runs, expanded to RunSpecs with stable ids, labels and configs.
 */
class SweepSpecTest {
  private static final Path BASE = Path.of("/sweeps");

  /**
   * The example of docs/sweeps.md at 300 steps, diagnosed every 100 (DocumentationTest parses the
   * shown one).
   */
  private static final String EXAMPLE =
      """
      data: shards            # relative to the sweep file's folder
      train_split: valid
      steps: 300
      eval_every: 50
      pruning:
        step: 100
        min_per_layer: 1
      grid:
        model: [bert-tiny, bert-small]
        method: [dense, random, pl-gate, {name: pl-gate, label: pl-gate-a0.5, alpha: 0.5}]
        ratio: [0.25, 0.5]
        seed: 0..99
        learning_rate: [1e-4, 3e-4]
      diagnostics:
        at: [pruning, end]
        every: 100
        probe_samples: 16
        hutchinson_probes: 2
        structures: [head]
      device: cpu
      out: sweep-out
      """;

  @Test
  void theExampleExpandsToTheHandCountedCellsInGridOrder() {
    SweepSpec sweep = SweepSpec.parse(EXAMPLE, BASE);

    // Per model, seed and learning rate: dense once (its two ratios are one run) + random, pl-gate
    // and
    // pl-gate-a0.5 at two ratios each = 1 + 3 x 2 = 7 cells. 2 models x 100 seeds x 2 rates x 7 =
    // 2800.
    assertThat(sweep.cells()).hasSize(2800);
    // Axes vary last-fastest: model, method, ratio, seed, learning_rate. bert-tiny's dense cells
    // are
    // 100 seeds x 2 rates = 200 (cells 0-199), then random (400), pl-gate (400), pl-gate-a0.5
    // (400):
    // bert-small starts at 1400.
    Cell first = sweep.cells().get(0);
    assertThat(first.labels())
        .containsExactly(
            Map.entry("model", "bert-tiny"),
            Map.entry("method", "dense"),
            Map.entry("seed", "0"),
            Map.entry("learning_rate", "1e-4"));
    assertThat(first.config()).isEqualTo("model=bert-tiny method=dense learning_rate=1e-4");
    assertThat(first.baseline()).isEqualTo("model=bert-tiny learning_rate=1e-4");
    assertThat(sweep.cells().get(1).labels())
        .containsEntry("seed", "0")
        .containsEntry("learning_rate", "3e-4");
    assertThat(sweep.cells().get(2).labels())
        .containsEntry("seed", "1")
        .containsEntry("learning_rate", "1e-4");
    Cell random = sweep.cells().get(200);
    assertThat(random.config())
        .isEqualTo("model=bert-tiny method=random ratio=0.25 learning_rate=1e-4");
    assertThat(random.baseline()).isEqualTo(first.baseline());
    assertThat(random.labels()).containsEntry("seed", "0");
    Cell labelled = sweep.cells().get(1000);
    assertThat(labelled.config())
        .isEqualTo("model=bert-tiny method=pl-gate-a0.5 ratio=0.25 learning_rate=1e-4");
    assertThat(labelled.method()).isEqualTo("pl-gate");
    assertThat(sweep.cells().get(1400).config())
        .isEqualTo("model=bert-small method=dense learning_rate=1e-4");
    assertThat(sweep.cells().stream().map(Cell::runId).distinct()).hasSize(2800);

    assertThat(sweep.device()).isEqualTo("cpu");
    assertThat(sweep.out()).isEqualTo("/sweeps/sweep-out");
    assertThat(sweep.diagnostics())
        .isEqualTo(
            new DiagnosticsPlan(
                true, true, true, Every.steps(100), 16, 2, Set.of(Structure.Kind.HEAD), true));
  }

  @Test
  void theExampleEstimatesStepsAndCpuHoursFromTheMeasuredStepTimes() {
    WorkEstimate estimate = SweepSpec.parse(EXAMPLE, BASE).estimate();

    // 1400 cells per model x 300 steps = 420,000 steps each. bert-tiny: 420,000 x 180 ms = 21 h;
    // bert-small: 420,000 x 1400 ms = 163.33 h; 184.33 h in all.
    assertThat(estimate.cells()).isEqualTo(2800);
    assertThat(estimate.totalSteps()).isEqualTo(840_000);
    assertThat(estimate.stepsPerModel())
        .containsExactly(Map.entry("bert-tiny", 420_000L), Map.entry("bert-small", 420_000L));
    assertThat(estimate.estimatedCpuHours()).isCloseTo(184.333, within(1e-3));
    assertThat(estimate.describe())
        .contains("2800 cells, 840,000 training steps")
        .containsPattern("bert-tiny +420,000 steps  21\\.0 CPU hours")
        .containsPattern("bert-small +420,000 steps  163\\.3 CPU hours")
        .contains("about 184.3 CPU hours in all");
  }

  @Test
  void aPresetWithoutAMeasuredStepTimeHasNoEstimateAndEveryPresetHasOne() {
    WorkEstimate unknown = new WorkEstimate(1, 10, Map.of("bert-huge", 10L), Double.NaN);
    assertThat(unknown.describe())
        .containsPattern("bert-huge +10 steps  no estimate")
        .contains("no estimate in all");
    for (String preset : ModelFamily.allPresets()) {
      assertThat(StepCosts.millisPerStep(preset)).as(preset).isPresent();
    }
    assertThat(StepCosts.millisPerStep("mlp").getAsDouble()).isEqualTo(2.0);
    assertThat(StepCosts.millisPerStep("resnet56").getAsDouble()).isEqualTo(900.0);
  }

  @Test
  void aCellIsTheRunFileAUserWouldWriteByHand() {
    SweepSpec sweep = SweepSpec.parse(EXAMPLE, BASE);
    Cell cell =
        sweep.cells().stream()
            .filter(
                c ->
                    c.config()
                            .equals(
                                "model=bert-tiny method=pl-gate-a0.5 ratio=0.5 learning_rate=3e-4")
                        && c.seed() == 7)
            .findFirst()
            .orElseThrow();
    RunSpec byHand =
        RunSpec.parse(
            """
            model: bert-tiny
            data: /sweeps/shards
            train_split: valid
            seed: 7
            steps: 300
            learning_rate: 0.0003
            eval_every: 50
            pruning:
              method: pl-gate
              step: 100
              ratio: 0.5
              min_per_layer: 1
              options: {alpha: 0.5}
            """,
            null);

    assertThat(cell.runId()).isEqualTo(byHand.runId()).isEqualTo(cell.spec().runId());
    assertThat(cell.spec().data()).isEqualTo(Path.of("/sweeps/shards"));
    assertThat(cell.spec().pruning().method()).isEqualTo(PruningMethod.PL_GATE);
    // pl-gate's gate defaults are spelled into its options (and its run id), as the kernel is
    assertThat(cell.spec().pruning().options())
        .isEqualTo(
            Map.of(
                "alpha", 0.5,
                "kernel", "pntk",
                "gate_batches", 0,
                "gate_epochs", 1,
                "gate_reset", false,
                "gate_samples", 1024,
                "trace_every", 0));
    assertThat(cell.spec().pruning().schedule()).isEqualTo(new PruningSchedule.OneShot(100, 0.5));
    assertThat(cell.spec().pruning().minPerLayer()).isEqualTo(1);
    assertThat(cell.method()).isEqualTo("pl-gate");
    assertThat(cell.ratio()).isEqualTo(0.5);
    assertThat(cell.model()).isEqualTo("bert-tiny");
    assertThat(RunSpec.parse(cell.runYaml(), null)).isEqualTo(cell.spec());
    // every: 100 keeps the checkpoints at multiples of 100 besides the newest 3 (keep_every is no
    // part of the id)
    assertThat(cell.spec().keepEvery()).isEqualTo(100);
    assertThat(cell.spec().keepLast()).isEqualTo(3);
  }

  @Test
  void aMethodsMapSetsPruningKeysForItsCellsAloneAndAClaimsBlockIsAccepted() {
    SweepSpec sweep =
        SweepSpec.parse(
            """
            model: bert-tiny
            data: /shards
            steps: 100
            pruning: {schedule: one-shot, step: 50, ratio: 0.5, min_per_layer: 1}
            grid:
              method:
                - random
                - {name: snip, label: snip-init, step: 0}
                - {name: random, label: random-linear, schedule: linear, start_epoch: 1, end_epoch: 2, final_ratio: 0.5}
            claims:
              - {id: a, text: t, statistic: final_metric, config: {method: random}, against: {method: snip-init}, direction: lower}
            """,
            BASE);

    // Each cell is the run file a user would write by hand for it: the shared block, with the
    // method's own keys over it; a method's schedule replaces the shared step and ratio.
    assertThat(sweep.cells())
        .extracting(Cell::config)
        .containsExactly(
            "model=bert-tiny method=random",
            "model=bert-tiny method=snip-init",
            "model=bert-tiny method=random-linear");
    String common = "model: bert-tiny\ndata: /shards\nsteps: 100\npruning:\n";
    assertThat(sweep.cells().get(1).runId())
        .isEqualTo(
            RunSpec.parse(
                    common
                        + "  method: snip\n  schedule: one-shot\n  step: 0\n  ratio: 0.5\n"
                        + "  min_per_layer: 1\n",
                    null)
                .runId());
    assertThat(sweep.cells().get(1).spec().pruning().schedule())
        .isEqualTo(new PruningSchedule.OneShot(0, 0.5));
    assertThat(sweep.cells().get(2).spec().pruning().schedule())
        .isEqualTo(
            RunSpec.parse(
                    common
                        + "  method: random\n  schedule: linear\n  start_epoch: 1\n"
                        + "  end_epoch: 2\n  final_ratio: 0.5\n  min_per_layer: 1\n",
                    null)
                .pruning()
                .schedule());
    assertThat(sweep.cells().get(2).ratio()).isEqualTo(0.5);
  }

  @Test
  void denseCellsHaveNoRatioAndAreOneCellAcrossRatios() {
    SweepSpec sweep =
        SweepSpec.parse(
            """
            model: bert-tiny
            data: /shards
            steps: 100
            pruning: {step: 50}
            grid:
              method: [dense, random]
              ratio: [0.25, 0.5]
              seed: [0, 1]
            """,
            BASE);

    // dense: (0.25, 0), (0.25, 1); its 0.5 cells are the same runs. random: 2 ratios x 2 seeds.
    assertThat(sweep.cells())
        .extracting(c -> c.config() + " seed=" + c.seed())
        .containsExactly(
            "model=bert-tiny method=dense seed=0", "model=bert-tiny method=dense seed=1",
            "model=bert-tiny method=random ratio=0.25 seed=0",
                "model=bert-tiny method=random ratio=0.25 seed=1",
            "model=bert-tiny method=random ratio=0.5 seed=0",
                "model=bert-tiny method=random ratio=0.5 seed=1");
    Cell dense = sweep.cells().get(0);
    assertThat(dense.labels()).containsOnlyKeys("method", "seed");
    // The config names the model even though it is no axis; the baseline is what is left of it.
    assertThat(dense.baseline())
        .isEqualTo("model=bert-tiny")
        .isEqualTo(sweep.cells().get(2).baseline());
    assertThat(dense.ratio()).isZero();
    assertThat(dense.method()).isEqualTo("dense");
    assertThat(dense.runYaml()).doesNotContain("pruning");
    assertThat(dense.runId())
        .isEqualTo(RunSpec.parse("model: bert-tiny\ndata: /shards\nsteps: 100\n", null).runId());
  }

  @Test
  void labelsFollowTheAxesAsWrittenAndOneValueAxesAreLabelsToo() {
    SweepSpec sweep =
        SweepSpec.parse(
            """
            steps: 100
            pruning: {step: 10}
            grid:
              learning_rate: [1e-4]
              model: [mlp]
              model_options: [{hidden: 64, layers: 2}]
              method: [{name: magnitude, label: mag}]
              ratio: [0.5]
              data: [shards/a]
            """,
            BASE);

    Cell cell = sweep.cells().get(0);
    assertThat(cell.labels())
        .containsExactly(
            Map.entry("learning_rate", "1e-4"),
            Map.entry("model", "mlp"),
            Map.entry("model_options", "{hidden:64,layers:2}"),
            Map.entry("method", "mag"),
            Map.entry("ratio", "0.5"),
            Map.entry("data", "shards/a"),
            Map.entry("seed", "0"));
    assertThat(cell.config())
        .isEqualTo(
            "learning_rate=1e-4 model=mlp model_options={hidden:64,layers:2} method=mag ratio=0.5"
                + " data=shards/a");
    assertThat(cell.baseline())
        .isEqualTo("learning_rate=1e-4 model=mlp model_options={hidden:64,layers:2} data=shards/a");
    assertThat(cell.spec().modelOptions()).isEqualTo(Map.of("hidden", 64, "layers", 2));
    assertThat(cell.spec().data()).isEqualTo(Path.of("/sweeps/shards/a"));
    assertThat(cell.spec().training().learningRate()).isEqualTo(1e-4);
  }

  @Test
  void runIdsAreStableAcrossParsesAndKeyOrderAndChangeWithValues() {
    String sweep =
        """
        model: bert-tiny
        data: shards
        steps: 200
        pruning: {step: 100, min_per_layer: 1}
        grid:
          method: [random, {name: pl-gate, label: g, alpha: 0.5, gate_width: 8}]
          ratio: [0.25, 0.5]
          seed: [0, 1]
        """;
    String reordered =
        """
        grid:
          seed: [0, 1]
          ratio: [0.25, 0.5]
          method: [random, {gate_width: 8, alpha: 0.5, label: g, name: pl-gate}]
        pruning: {min_per_layer: 1, step: 100}
        steps: 200
        data: shards
        model: bert-tiny
        """;

    Map<Map<String, String>, String> ids = idsByLabels(sweep);
    assertThat(ids).hasSize(8);
    assertThat(idsByLabels(sweep)).isEqualTo(ids);
    assertThat(idsByLabels(reordered)).isEqualTo(ids);
    assertThat(idsByLabels(sweep.replace("steps: 200", "steps: 201")).values())
        .doesNotContainAnyElementsOf(ids.values());
    assertThat(idsByLabels(sweep.replace("alpha: 0.5", "alpha: 0.25")))
        .hasSize(8)
        .containsAllEntriesOf(filter(ids, "random"))
        .doesNotContainValue(ids.get(labels("g", "0.25", "0")));
  }

  @Test
  void addingASeedAddsExactlyOneCellPerConfigAndKeepsEveryOldId() {
    String sweep = "model: mlp\ndata: x\nsteps: 10\ngrid:\n  seed: [0, 1]\n";
    List<String> before = ids(sweep);
    List<String> after = ids(sweep.replace("[0, 1]", "[0, 1, 2]"));

    assertThat(before).hasSize(2);
    assertThat(after).hasSize(3).containsAll(before);
    assertThat(after.get(2))
        .isEqualTo(
            RunSpec.parse("model: mlp\ndata: /sweeps/x\nsteps: 10\nseed: 2\n", null).runId());
  }

  @Test
  void seedsAreAListAnInclusiveRangeOrOneNumber() {
    String run = "model: mlp\ndata: x\nsteps: 10\n";
    assertThat(seeds(run + "grid:\n  seed: 0..99\n"))
        .hasSize(100)
        .startsWith(0L, 1L)
        .endsWith(98L, 99L);
    assertThat(seeds(run + "grid:\n  seeds: 3 .. 5\n")).containsExactly(3L, 4L, 5L);
    assertThat(seeds(run + "grid:\n  seed: 4..4\n")).containsExactly(4L);
    assertThat(seeds(run + "grid:\n  seed: [0, 1, 5]\n")).containsExactly(0L, 1L, 5L);
    assertThat(seeds(run + "seed: 7\n")).containsExactly(7L);
    assertThat(seeds(run)).containsExactly(0L);
    // top-level seeds are an axis after the grid's
    SweepSpec topLevel =
        SweepSpec.parse(
            run.replace("model: mlp\n", "") + "seeds: 1..2\ngrid:\n  model: [mlp]\n", BASE);
    assertThat(topLevel.cells())
        .extracting(c -> c.labels().keySet().stream().collect(Collectors.joining(",")))
        .containsExactly("model,seed", "model,seed");
    assertThat(topLevel.cells()).extracting(Cell::seed).containsExactly(1L, 2L);
  }

  @Test
  void badSeedsAreRefusedWithTheirLine() {
    String run = "model: mlp\ndata: x\nsteps: 10\ngrid:\n";
    assertError(
        run + "  seed: 5..2\n",
        "line 5: grid.seed: '5..2' is an empty range: it ends below its start");
    assertError(
        run + "  seed: -1..3\n", "line 5: grid.seed: seeds must be at least 0, got '-1..3'");
    assertError(
        run + "  seed: [0, -1]\n",
        "line 5: grid.seed[1]: must be a whole number of at least 0, got '-1'");
    assertError(
        run + "  seed:\n    - 1\n    - 2\n    - 1\n",
        "line 8: grid.seed[2]: seed 1 is listed twice");
    assertError(
        run + "  seed: many\n",
        "line 5: grid.seed: must be a whole number of at least 0, got 'many'");
    assertError(run + "  seed: []\n", "line 5: grid.seed: an axis needs at least one value");
    assertError(
        "seeds: 0..3\n" + run + "  seed: [1]\n",
        "line 1: seeds: the seeds are already given by grid.seed (line 6); give them once");
  }

  @Test
  void unknownKeysAtEveryLevelGiveTheirPlaceAndTheAllowedKeys() {
    assertError(
        "model: mlp\ndata: x\nlearning_rat: 0.1\n",
        "line 3, column 1: unknown key 'learning_rat'; allowed keys: model, model_options, data,"
            + " train_split, eval_split, seed, steps, batch_size, optimizer, learning_rate,"
            + " schedule, warmup_steps, weight_decay, momentum, max_gradient_norm, eval_every,"
            + " eval_samples, checkpoint_every, keep_last, keep_every, pruning, seeds, grid,"
            + " diagnostics, device, out");
    assertError(
        "model: mlp\ndata: x\nsteps: 1\ngrid:\n  model: [mlp]\n  lr: [0.1]\n",
        "line 6, column 3: unknown key 'lr' in grid; allowed keys: model, model_options, data,");
    assertError(
        "model: mlp\ndata: x\nsteps: 1\ngrid:\n  pruning: [{method: random}]\n",
        "line 5, column 3: unknown key 'pruning' in grid;");
    assertError(
        "model: mlp\ndata: x\nsteps: 1\npruning:\n  method: random\n  stpe: 3\n",
        "line 6, column 3: unknown key 'stpe' in pruning; allowed keys: method, scope, schedule,"
            + " step, ratio,");
    assertError(
        "model: mlp\ndata: x\nsteps: 1\ndiagnostics: {at: [end], evry: 5}\n",
        "line 4, column 26: unknown key 'evry' in diagnostics; allowed keys: at, every,"
            + " probe_samples, hutchinson_probes, structures");
  }

  @Test
  void badAxisValuesNameTheAxisTheValueAndItsLine() {
    String run = "model: bert-tiny\ndata: x\nsteps: 100\npruning: {step: 10}\ngrid:\n";
    assertError(
        run + "  method: [dense, random, pl_gat]\n",
        "line 6: grid.method[2]: unknown method 'pl_gat'; allowed: dense, random, magnitude, lth,"
            + " grad-score, snip, grasp, fpgm, chip, dpfps, kappa-rank, pl-gate");
    assertError(
        run + "  method: [random]\n  ratio: [0.5, 1.5]\n",
        "line 7: grid.ratio[1]: 1.5 is not a ratio in [0, 1)");
    assertError(
        run + "  method: [random]\n  ratio:\n    - 0.5\n    - high\n",
        "line 9: grid.ratio[1]: must be a number, got 'high'");
    assertError(
        run + "  method:\n    - dense\n    - {name: pl-gate, alfa: 0.5}\n",
        "line 8: grid.method[1]: pruning.options.alfa is not an option of pl-gate; allowed: alpha,"
            + " gate_batches,");
    assertError(
        run + "  method:\n    - {label: a}\n",
        "line 7: grid.method[0]: a method written as a map needs its name");
    assertError(
        run + "  method: [{name: dense, alpha: 1}]\n",
        "line 6: grid.method[0]: pruning.options.alpha is not"
            + " an option of dense, which takes none");
    assertError(
        run.replace("model: bert-tiny\n", "") + "  model: [bert-tiny, bert-huge]\n",
        "line 5: grid.model[1]: unknown model 'bert-huge'; presets: mlp, bert-tiny,");
    assertError(run + "  steps: []\n", "line 6: grid.steps: an axis needs at least one value");
    assertError(
        run + "  batch_size: 16\n",
        "line 6: grid.batch_size: must be a list, e.g. [a, b], got '16'");
    assertError(
        run + "  method: [pl-gate, {name: pl-gate, alpha: 0.5}]\n",
        "line 6: grid.method[1]: 'pl-gate' is already a value of this axis (line 6): cells would"
            + " share a config");
    assertError(
        run.replace("data: x\n", "") + "  data: [a, 'my shards']\n",
        "line 5: grid.data[1]: 'my shards' cannot label a cell: a label is one word without '='");
  }

  @Test
  void aKeyGivenBothAtTheTopAndAsAnAxisOrMissingEverywhereIsAnError() {
    assertError(
        "model: mlp\ndata: x\nsteps: 10\ngrid:\n  steps: [10, 20]\n",
        "line 3: steps: is also a grid axis (grid.steps); give it in one place");
    assertError(
        "model: mlp\n"
            + "data: x\n"
            + "steps: 10\n"
            + "pruning:\n"
            + "  ratio: 0.5\n"
            + "  step: 1\n"
            + "grid:\n"
            + "  method: [random]\n"
            + "  ratio: [0.5]\n",
        "line 5: pruning.ratio: is also a grid axis (grid.ratio); give it in one place");
    assertError(
        "model: mlp\nsteps: 10\n", "line 1: every cell needs model, data, steps; data is missing");
    assertError(
        "model: mlp\ndata: x\nsteps: 10\npruning:\n  step: 1\n",
        "line 4: pruning: no pruning method: give the methods as grid.method, or one as"
            + " pruning.method");
    assertError(
        "model: mlp\ndata: x\nsteps: 10\nsteps: 20\n",
        "line 4: steps: duplicate key (first on line 3)");
    assertThatThrownBy(() -> SweepSpec.parse(" \n", BASE))
        .hasMessageContaining("the sweep file is empty");
    assertError(
        "- model: mlp\n",
        "line 1: a sweep file is a map of keys (model, data, steps, grid, ...), got"
            + " '[{model:mlp}]'");
  }

  @Test
  void aCellThatBreaksARunFileRuleNamesTheCellAndTheLineResponsible() {
    String run = "model: mlp\ndata: x\nsteps: 100\neval_every: 50\n";
    // the value is refused by RunSpec's own reading of the cell's run file
    assertError(
        run + "grid:\n  learning_rate:\n    - 0.1\n    - fast\n",
        "line 8: grid.learning_rate[1]: cell learning_rate=fast seed=0: 'learning_rate': Cannot"
            + " deserialize value of type `java.lang.Double` from String \"fast\"");
    // ... or by its checks: a top-level key, an axis value, a pruning key shared by every cell
    assertError(
        run.replace("steps: 100", "steps: 0"),
        "line 3: steps: cell seed=0: steps must be at least 1, got 0");
    assertError(
        run + "grid:\n  learning_rate: [0.1, -1]\n",
        "line 6: grid.learning_rate[1]: cell learning_rate=-1"
            + " seed=0: learning rate must be positive, got -1.0");
    assertError(
        run + "grid:\n  model_options: [{hidden: 4}, {heads: 2}]\n",
        "line 6: grid.model_options[1]: cell model_options={heads:2} seed=0: model_options: 'heads'"
            + " is not an option of mlp models; allowed: hidden, layers");
    assertError(
        run + "grid:\n  checkpoint_every: [50, 70]\n",
        "line 6: grid.checkpoint_every[1]: cell checkpoint_every=70 seed=0: checkpoint_every must"
            + " be a positive multiple of eval_every (50), got 70");
    assertError(
        run
            + "pruning:\n  schedule: linear\n  start_epoch: 0\n  end_epoch: 1\n  final_ratio: 0.5\n"
            + "grid:\n  method: [random]\n  ratio: [0.5]\n",
        "line 12: grid.ratio[0]: cell method=random ratio=0.5 seed=0: pruning.ratio does not belong"
            + " to a linear schedule");
    assertError(
        run + "pruning:\n  step: bad\ngrid:\n  method: [random]\n  ratio: [0.5]\n",
        "line 6: pruning.step: cell method=random ratio=0.5 seed=0: 'pruning.step': Cannot"
            + " deserialize");
  }

  @Test
  void everyRefusedRunFileValueNamesTheLineOfItsKey() {
    // key, a value the run file takes, one it refuses: the refused one is always on line 8
    String[][] cases = {
      {"steps", "100", "0"},
      {"batch_size", "8", "0"},
      {"learning_rate", "0.1", "0"},
      {"warmup_steps", "0", "-1"},
      {"weight_decay", "0", "-1"},
      {"momentum", "0.9", "1"},
      {"max_gradient_norm", "0", "-1"},
      {"eval_every", "50", "0"},
      {"eval_samples", "8", "0"},
      {"checkpoint_every", "50", "0"},
      {"keep_last", "3", "0"},
      {"keep_every", "0", "30"},
      {"optimizer", "sgd", "lion"},
      {"schedule", "step", "sometimes"},
      {"model_options", "{hidden: 4}", "{hidden: 0}"}
    };
    for (String[] c : cases) {
      String top =
          "model: mlp\ndata: x\nsteps: 100\nkeep_last: 3\n".replace(c[0] + ": ", "train_split: ");
      assertError(
          top + "grid:\n  " + c[0] + ":\n    - " + c[1] + "\n    - " + c[2] + "\n",
          "line 8: grid." + c[0] + "[1]: cell " + c[0] + "=" + c[2].replace(" ", "") + " seed=0: ");
    }
  }

  @Test
  void aRefusedValueOfTheSharedPruningBlockNamesItsLine() {
    String run =
        "model: mlp\ndata: x\nsteps: 100\ngrid:\n  method: [pl-gate]\npruning:\n  step: 10\n";
    String cell = "cell method=pl-gate seed=0: ";
    assertError(
        run + "  ratio: 1.5\n",
        "line 8: pruning.ratio: " + cell + "a pruning ratio must be in [0, 1], got 1.5");
    assertError(
        run.replace("step: 10", "step: -1") + "  ratio: 0.5\n",
        "line 7: pruning.step: " + cell + "a one-shot pruning step must be at least 0, got -1");
    assertError(
        run + "  ratio: 0.5\n  min_per_layer: -1\n", "line 9: pruning.min_per_layer: " + cell);
    assertError(
        run + "  ratio: 0.5\n  scoring_batch: 0\n", "line 9: pruning.scoring_batch: " + cell);
    assertError(run + "  ratio: 0.5\n  scope: [layers]\n", "line 9: pruning.scope: " + cell);
    assertError(
        run + "  ratio: 0.5\n  options:\n    gate_batches: 5\n    alpha: -1\n",
        "line 11: pruning.options.alpha: "
            + cell
            + "pruning.options: alpha must be >= 0 and finite, got -1.0");
    assertError(
        run + "  ratio: 0.5\n  options: {gate_width: 0.5}\n",
        "line 9: pruning.options.gate_width: "
            + cell
            + "pruning.options: gate_width must be a whole number, got 0.5");
    // an option of the method's own value points at that value
    assertError(
        run.replace("[pl-gate]", "[{name: pl-gate, gate_width: 0}]") + "  ratio: 0.5\n",
        "line 5: grid.method[0]: pruning.options: gate_width must be >= 1, got 0");
  }

  @Test
  void cellsThatAreTheSameRunUnderDifferentLabelsAreAnError() {
    // so is the data folder: a run id identifies a shard set by content, which the trainer checks
    assertError(
        "model: mlp\nsteps: 100\ngrid:\n  data: [a, b]\n",
        "line 4: grid.data[1]: cell data=b seed=0 is the"
            + " same run as cell data=a seed=0 (run id ");
    // checkpoint_every is no part of a run id: both cells would train into one run folder
    assertError(
        "model: mlp\ndata: x\nsteps: 100\neval_every: 50\ngrid:\n  checkpoint_every: [50, 100]\n",
        "line 6: grid.checkpoint_every[1]: cell checkpoint_every=100 seed=0 is the same run as cell"
            + " checkpoint_every=50 seed=0 (run id ");
  }

  @Test
  void theDiagnosticsBlockIsAPlanWithDefaults() {
    String run = "model: bert-tiny\ndata: x\nsteps: 300\neval_every: 50\n";
    assertThat(SweepSpec.parse(run, BASE).diagnostics()).isEqualTo(DiagnosticsPlan.none());
    assertThat(DiagnosticsPlan.none().enabled()).isFalse();
    DiagnosticsPlan defaults = SweepSpec.parse(run + "diagnostics: {}\n", BASE).diagnostics();
    assertThat(defaults)
        .isEqualTo(
            new DiagnosticsPlan(
                true, true, true, Every.percent(10), 64, 10, Structure.Kind.structural(), true));
    DiagnosticsPlan plan =
        SweepSpec.parse(
                run
                    + "diagnostics:\n"
                    + "  at: end\n"
                    + "  structures: [expert, heads]\n"
                    + "  probe_samples: 8\n"
                    + "  hutchinson_probes: 0\n"
                    + "  every: none\n"
                    + "  whole_model: false\n",
                BASE)
            .diagnostics();
    assertThat(plan)
        .isEqualTo(
            new DiagnosticsPlan(
                true,
                false,
                true,
                Every.NONE,
                8,
                0,
                Set.of(Structure.Kind.EXPERT, Structure.Kind.HEAD),
                false));
    assertThat(
            SweepSpec.parse(run + "diagnostics: {structures: all}\n", BASE).diagnostics().kinds())
        .containsExactlyInAnyOrderElementsOf(Structure.Kind.structural());

    DiagnosticsOptions options = plan.toOptions();
    assertThat(options.probeSamples()).isEqualTo(8);
    assertThat(options.hutchinsonProbes()).isZero();
    assertThat(options.kinds())
        .containsExactlyInAnyOrder(Structure.Kind.EXPERT, Structure.Kind.HEAD);
    assertThat(options.wholeModel()).isFalse();
    assertThat(defaults.toOptions().wholeModel()).isTrue();
    assertThat(defaults.betaIterations()).isEqualTo(100);
    assertThat(defaults.toOptions().smoothness().maxIterations()).isEqualTo(100);
    DiagnosticsPlan noBeta =
        SweepSpec.parse(run + "diagnostics: {beta_iterations: 0}\n", BASE).diagnostics();
    assertThat(noBeta.toOptions().smoothness().maxIterations()).isZero();
    assertThat(noBeta.describe(List.of())).endsWith(", no beta");
    assertThat(options.batchSize()).isEqualTo(DiagnosticsOptions.DEFAULT_BATCH_SIZE);
    assertThat(options.kernel()).isEqualTo(KernelKind.PNTK);
    assertThat(options.activeProbes()).isFalse();

    DiagnosticsPlan projected =
        SweepSpec.parse(run + "diagnostics: {kernel: projected:16, active_probes: true}\n", BASE)
            .diagnostics();
    assertThat(projected.toOptions().kernel()).isEqualTo(KernelKind.projected(16));
    assertThat(projected.toOptions().activeProbes()).isTrue();
    assertThatThrownBy(() -> SweepSpec.parse(run + "diagnostics: {kernel: ntk}\n", BASE))
        .hasMessageContaining("diagnostics.kernel")
        .hasMessageContaining(
            "must be pntk, target-logit, projected:k" + " (k >= 1) or loss, got 'ntk'");

    assertThat(defaults.kernelPath()).isEqualTo(KernelPath.PER_SAMPLE);
    assertThat(options.kernelPath()).isEqualTo(KernelPath.PER_SAMPLE);
    for (KernelPath path : KernelPath.values()) {
      DiagnosticsPlan chosen =
          SweepSpec.parse(run + "diagnostics: {kernel_path: " + path.id() + "}\n", BASE)
              .diagnostics();
      assertThat(chosen.kernelPath()).isEqualTo(path);
      assertThat(chosen.toOptions().kernelPath()).isEqualTo(path);
    }
    assertThat(
            SweepSpec.parse(run + "diagnostics: {kernel_path: auto}\n", BASE)
                .diagnostics()
                .describe(List.of()))
        .endsWith(", kernel path auto");
    assertThatThrownBy(() -> SweepSpec.parse(run + "diagnostics: {kernel_path: batched}\n", BASE))
        .hasMessageContaining("diagnostics.kernel_path")
        .hasMessageContaining("must be auto, factored or per-sample, got 'batched'");

    assertThat(defaults.betaMethod()).isEqualTo(HessianEigenvalue.Method.LANCZOS);
    assertThat(options.smoothness().method()).isEqualTo(HessianEigenvalue.Method.LANCZOS);
    DiagnosticsPlan power =
        SweepSpec.parse(run + "diagnostics: {beta_method: power, beta_iterations: 30}\n", BASE)
            .diagnostics();
    assertThat(power.toOptions().smoothness())
        .isEqualTo(new HessianEigenvalue.Settings(1e-3, 30, false, HessianEigenvalue.Method.POWER));
    assertThat(power.describe(List.of())).endsWith(", beta by power");
    assertThat(defaults.describe(List.of())).doesNotContain("beta by");
    assertThatThrownBy(() -> SweepSpec.parse(run + "diagnostics: {beta_method: arnoldi}\n", BASE))
        .hasMessageContaining("diagnostics.beta_method")
        .hasMessageContaining("must be lanczos or power, got 'arnoldi'");

    assertThat(options.smoothness().tolerance()).isEqualTo(1e-2);
    assertThat(options.memoryBudgetBytes()).isEqualTo(512L << 20);
    DiagnosticsPlan tuned =
        SweepSpec.parse(run + "diagnostics: {beta_tolerance: 1e-3, memory_mb: 2048}\n", BASE)
            .diagnostics();
    assertThat(tuned.toOptions().memoryBudgetBytes()).isEqualTo(2048L << 20);
    assertThat(tuned.toOptions().smoothness())
        .isEqualTo(
            new HessianEigenvalue.Settings(1e-3, 100, false, HessianEigenvalue.Method.LANCZOS));
    assertThat(tuned.describe(List.of()))
        .endsWith(", beta tolerance 0.001, 2048 MiB of kernel columns");
    assertThat(defaults.describe(List.of())).doesNotContain("tolerance").doesNotContain("MiB");
    assertThatThrownBy(() -> SweepSpec.parse(run + "diagnostics: {beta_tolerance: 0}\n", BASE))
        .hasMessageContaining("diagnostics.beta_tolerance: must be a number above 0, got '0'");
    assertThatThrownBy(() -> SweepSpec.parse(run + "diagnostics: {memory_mb: 0}\n", BASE))
        .hasMessageContaining("diagnostics.memory_mb: must be a whole number in [1, ");
  }

  /** A bad kernel_path in a sweep file is an error naming the file, the line and the key. */
  @Test
  void aBadKernelPathNamesTheFileAndTheKey(@TempDir Path folder) throws Exception {
    Path file = folder.resolve("sweep.yaml");
    Files.writeString(file, "model: mlp\ndata: x\nsteps: 10\ndiagnostics:\n  kernel_path: fast\n");
    assertThatThrownBy(() -> SweepSpec.load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": line 5: ")
        .hasMessageContaining("diagnostics.kernel_path: must be auto, factored or per-sample")
        .hasMessageContaining("'fast'");
  }

  @Test
  void aShareOfEachRunIsTheLargestCheckpointMultipleBelowIt() {
    // worked by hand: 10 % of 10,000 steps = 1,000, a multiple of 100; of 300 steps = 30, below one
    // interval of 50
    // gives 50; 25 % of 1,000 with checkpoints every 60 = 250 -> 240
    assertThat(Every.percent(10).interval(10_000, 100)).isEqualTo(1_000);
    assertThat(Every.percent(10).interval(300, 50)).isEqualTo(50);
    assertThat(Every.percent(25).interval(1_000, 60)).isEqualTo(240);
    assertThat(Every.steps(500).interval(10_000, 100)).isEqualTo(500);
    assertThat(Every.NONE.interval(10_000, 100)).isZero();

    // the default cadence is per cell: a 1,000-step cell keeps every 100th, a 2,000-step cell every
    // 200th checkpoint
    SweepSpec sweep =
        SweepSpec.parse(
            "model: mlp\ndata: x\neval_every: 50\ngrid:\n  steps: [1000, 2000]\n"
                + "diagnostics: {at: end}\n",
            BASE);
    assertThat(sweep.diagnostics().every()).isEqualTo(DiagnosticsPlan.DEFAULT_EVERY);
    assertThat(sweep.cells()).extracting(c -> c.spec().keepEvery()).containsExactly(100L, 200L);
    assertThat(sweep.cells().get(0).runYaml()).contains("keep_every: 100\n");
    assertThat(sweep.diagnostics().describe(sweep.cells()))
        .isEqualTo(
            "diagnostics: every 10 % of a run (100 steps in 1 cell, 200 steps in 1 cell), at the"
                + " end; n = 64, 10 Hutchinson probes, pntk kernel, every structure kind, the"
                + " whole-model kernel; a run keeps up to 10 periodic checkpoints for them beyond"
                + " keep_last");
    SweepSpec example = SweepSpec.parse(EXAMPLE, BASE);
    assertThat(example.diagnostics().describe(example.cells()))
        .isEqualTo(
            "diagnostics: before and after each pruning event, every 100 steps in 2800 cells, at"
                + " the end; n = 16, 2 Hutchinson probes, pntk kernel, head kernels, the"
                + " whole-model kernel; a run keeps up to 3 periodic checkpoints for them beyond"
                + " keep_last");
    assertThat(DiagnosticsPlan.none().describe(example.cells()))
        .isEqualTo("diagnostics: none (the sweep file has no diagnostics block)");
    // without diagnostics, or with every: none, a run file keeps only its newest checkpoints
    assertThat(
            SweepSpec.parse("model: mlp\ndata: x\nsteps: 1000\neval_every: 50\n", BASE)
                .cells()
                .get(0)
                .spec()
                .keepEvery())
        .isZero();
    assertThat(
            SweepSpec.parse(
                    "model: mlp\n"
                        + "data: x\n"
                        + "steps: 1000\n"
                        + "eval_every: 50\n"
                        + "diagnostics: {every: none}\n",
                    BASE)
                .cells()
                .get(0)
                .spec()
                .keepEvery())
        .isZero();
    // the run id does not depend on which checkpoints are kept
    assertThat(sweep.cells().get(0).runId())
        .isEqualTo(
            RunSpec.parse("model: mlp\ndata: /sweeps/x\nsteps: 1000\neval_every: 50\n", null)
                .runId());
  }

  @Test
  void badDiagnosticsAreRefusedWithTheirLine() {
    String run =
        "model: bert-tiny\n"
            + "data: x\n"
            + "steps: 300\n"
            + "eval_every: 50\n"
            + "checkpoint_every: 100\n"
            + "diagnostics:\n";
    assertError(
        run + "  every: 150\n",
        "line 7: diagnostics.every: 150 is not a multiple of checkpoint_every (100) in"
            + " cell seed=0");
    assertError(
        run + "  every: 0\n",
        "line 7: diagnostics.every: must be a whole number of at least 1, got '0'");
    assertError(
        run + "  every: 0%\n",
        "line 7: diagnostics.every: a percentage must be in (0, 100], got '0%'");
    assertError(
        run + "  every: 150 %\n",
        "line 7: diagnostics.every: a percentage must be in (0, 100], got '150 %'");
    assertError(
        run + "  every: often\n",
        "line 7: diagnostics.every: must be a number of steps (e.g. 500), a share"
            + " of each run (e.g. 10%) or none, got 'often'");
    assertError(
        run + "  whole_model: yes please\n",
        "line 7: diagnostics.whole_model: must be true or false, got" + " 'yes please'");
    assertError(
        run + "  at: [pruning, start]\n",
        "line 7: diagnostics.at[1]: unknown checkpoint 'start'; allowed:" + " pruning, end");
    assertError(run + "  at: []\n", "line 7: diagnostics.at: name at least one of pruning, end");
    assertError(
        run + "  probe_samples: 1\n",
        "line 7: diagnostics.probe_samples: must be a whole number in [2, ");
    assertError(
        run + "  structures: [heda]\n",
        "line 7: diagnostics.structures[0]: unknown structure kind 'heda';"
            + " allowed: neuron, head, expert, filter, all");
  }

  @Test
  void theDiagnosticsPlanTravelsToWorkers() throws Exception {
    DiagnosticsPlan plan =
        new DiagnosticsPlan(
            true, true, false, Every.percent(12.5), 16, 2, Set.of(Structure.Kind.HEAD), false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(plan);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(plan);
    }
  }

  @Test
  void deviceIsCpuOrGpuAndOutALocalFolder() {
    String run = "model: mlp\ndata: x\nsteps: 10\n";
    SweepSpec defaults = SweepSpec.parse(run, BASE);
    assertThat(defaults.device()).isEqualTo("cpu");
    assertThat(defaults.out()).isNull();
    SweepSpec gpu = SweepSpec.parse(run + "device: gpu\nout: ../results\n", BASE);
    assertThat(gpu.device()).isEqualTo("gpu");
    assertThat(gpu.out()).isEqualTo("/results");
    assertThat(SweepSpec.parse(run + "out: /mnt/nfs/sweep\n", BASE).out())
        .isEqualTo("/mnt/nfs/sweep");
    assertError(run + "device: tpu\n", "line 4: device: must be cpu or gpu, got 'tpu'");
    assertError(
        run + "out: gs://bucket/sweep\n",
        "line 4: out: 'gs://bucket/sweep' is not a local path: the checkpoint store needs a local"
            + " or mounted shared file system (e.g. NFS, or a Kubernetes volume)");
    assertError(run + "out: s3://bucket\n", "line 4: out: 's3://bucket' is not a local path");
  }

  @Test
  void aSweepFileResolvesPathsAgainstItsFolderAndItsErrorsNameIt(@TempDir Path dir)
      throws Exception {
    Path folder = Files.createDirectories(dir.resolve("sweeps"));
    Path file =
        Files.writeString(
            folder.resolve("sweep.yaml"), "model: mlp\ndata: shards\nsteps: 10\nout: out\n");
    SweepSpec sweep = SweepSpec.load(file);
    assertThat(sweep.cells().get(0).spec().data())
        .isEqualTo(folder.toAbsolutePath().resolve("shards"));
    assertThat(sweep.out()).isEqualTo(folder.toAbsolutePath().resolve("out").toString());

    Files.writeString(file, "model: mlp\ndata: shards\nsteps: 10\ndevice: tpu\n");
    assertThatThrownBy(() -> SweepSpec.load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": line 4: device: must be cpu or gpu, got 'tpu'");
    assertThatThrownBy(() -> SweepSpec.load(folder.resolve("none.yaml")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(folder.resolve("none.yaml") + ": no such sweep file");
  }

  @Test
  void theRunFileKeysAreTheOnesRunSpecAndPruningSpecAllow() {
    String allowed = "allowed keys: ";
    String top = message(() -> RunSpec.parse("model: mlp\ndata: x\nsteps: 1\nzz: 1\n", null));
    String pruning =
        message(
            () ->
                RunSpec.parse(
                    "model: mlp\ndata: x\nsteps: 1\npruning: {method: random, zz: 1}\n", null));
    assertThat(top.substring(top.indexOf(allowed) + allowed.length()).split(", "))
        .containsExactlyInAnyOrderElementsOf(RunFile.KEYS);
    assertThat(pruning.substring(pruning.indexOf(allowed) + allowed.length()).split(", "))
        .containsExactlyInAnyOrderElementsOf(RunFile.PRUNING_KEYS);
  }

  private static void assertError(String yaml, String message) {
    assertThatThrownBy(() -> SweepSpec.parse(yaml, BASE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  private static String message(Runnable action) {
    try {
      action.run();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("no error");
  }

  private static List<String> ids(String yaml) {
    return SweepSpec.parse(yaml, BASE).cells().stream().map(Cell::runId).toList();
  }

  private static List<Long> seeds(String yaml) {
    return SweepSpec.parse(yaml, BASE).cells().stream().map(Cell::seed).toList();
  }

  private static Map<Map<String, String>, String> idsByLabels(String yaml) {
    Map<Map<String, String>, String> ids = new HashMap<>();
    for (Cell cell : SweepSpec.parse(yaml, BASE).cells()) {
      ids.put(new HashMap<>(cell.labels()), cell.runId());
    }
    return ids;
  }

  private static Map<String, String> labels(String method, String ratio, String seed) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("method", method);
    labels.put("ratio", ratio);
    labels.put("seed", seed);
    return labels;
  }

  private static Map<Map<String, String>, String> filter(
      Map<Map<String, String>, String> ids, String method) {
    Map<Map<String, String>, String> kept = new HashMap<>();
    ids.forEach(
        (labels, id) -> {
          if (labels.get("method").equals(method)) {
            kept.put(labels, id);
          }
        });
    return kept;
  }
}
