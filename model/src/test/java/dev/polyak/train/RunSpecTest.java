package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.RunFileException;
import dev.polyak.nn.Structure.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run.yaml: family recipes as defaults, clear errors with line numbers, a stable run identity. */
class RunSpecTest {
  private static final Path BASE = Path.of("/runs");

  @Test
  void aTransformerTakesBertsRecipeAndACnnThePapersSgdRecipe() {
    RunSpec bert = RunSpec.parse("model: bert-tiny\ndata: shards/wikitext\nsteps: 1000\n", BASE);
    TrainingConfig t = bert.training();
    assertThat(bert.data()).isEqualTo(Path.of("/runs/shards/wikitext"));
    assertThat(t.optimizer()).isEqualTo(TrainingConfig.OptimizerKind.ADAMW);
    assertThat(t.schedule()).isEqualTo(TrainingConfig.Schedule.WARMUP_LINEAR);
    assertThat(t.warmupSteps()).isEqualTo(100);
    assertThat(t.weightDecay()).isEqualTo(0.01);
    assertThat(t.maxGradientNorm()).isEqualTo(1.0);
    assertThat(t.batchSize()).isEqualTo(16);
    assertThat(bert.trainSplit()).isEqualTo("train");
    assertThat(bert.evalSplit()).isEqualTo("valid");

    RunSpec mlp =
        RunSpec.parse("model: mlp\ndata: /data/cifar\nsteps: 400\nlearning_rate: 0.05\n", BASE);
    TrainingConfig c = mlp.training();
    assertThat(c.optimizer()).isEqualTo(TrainingConfig.OptimizerKind.SGD);
    assertThat(c.momentum()).isEqualTo(0.9);
    assertThat(c.weightDecay()).isEqualTo(5e-4);
    assertThat(c.learningRate()).isEqualTo(0.05);
    assertThat(mlp.evalSplit()).isEqualTo("test");
    // the paper's step schedule: x0.1 at 1/2, x0.01 at 3/4 of training
    assertThat(c.learningRate(199)).isEqualTo(0.05);
    assertThat(c.learningRate(200)).isCloseTo(0.005, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(c.learningRate(300)).isCloseTo(0.0005, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(mlp.checkpointEvery()).isEqualTo(c.evalEvery());
  }

  @Test
  void anUnknownKeyIsAnErrorWithItsLineAndTheAllowedKeys() {
    String yaml = "model: bert-tiny\ndata: x\nsteps: 10\nlearning_rat: 0.1\n";
    assertThatThrownBy(() -> RunSpec.parse(yaml, BASE))
        .hasMessageContaining("line 4")
        .hasMessageContaining("unknown key 'learning_rat'")
        .hasMessageContaining("learning_rate");
  }

  @Test
  void wrongValuesNameTheFieldAndWhatIsAllowed() {
    assertThatThrownBy(() -> RunSpec.parse("model: bert-tiny\ndata: x\nsteps: ten\n", BASE))
        .hasMessageContaining("line 3")
        .hasMessageContaining("steps");
    assertThatThrownBy(() -> RunSpec.parse("model: bert-huge\ndata: x\nsteps: 10\n", BASE))
        .hasMessageContaining("unknown model 'bert-huge'")
        .hasMessageContaining("bert-small");
    assertThatThrownBy(
            () -> RunSpec.parse("model: mlp\ndata: x\nsteps: 10\noptimizer: lion\n", BASE))
        .hasMessageContaining("optimizer must be one of adamw, sgd, got 'lion'");
    assertThatThrownBy(
            () ->
                RunSpec.parse("model: mlp\ndata: x\nsteps: 10\nmodel_options: {heads: 2}\n", BASE))
        .hasMessageContaining("'heads' is not an option of mlp models; allowed: hidden, layers");
    assertThatThrownBy(() -> RunSpec.parse("model: mlp\ndata: x\n", BASE))
        .hasMessageContaining("steps");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    "model: mlp\ndata: x\nsteps: 100\neval_every: 30\ncheckpoint_every: 50\n",
                    BASE))
        .hasMessageContaining(
            "checkpoint_every must be a positive multiple of eval_every (30), got 50");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    "model: mlp\ndata: x\nsteps: 100\neval_every: 10\nkeep_every: 25\n", BASE))
        .hasMessageContaining(
            "keep_every must be 0 (none) or a positive multiple of checkpoint_every (10), got 25");
    assertThatThrownBy(() -> RunSpec.parse("model: mlp\ndata: x\nsteps: 0\n", BASE))
        .hasMessageContaining("steps must be at least 1");
    assertThatThrownBy(() -> RunSpec.parse("", BASE)).hasMessageContaining("empty");
  }

  @Test
  void aPruningBlockIsValidatedAndDecidesTheRunId() {
    String base = "model: bert-tiny\ndata: x\nsteps: 1000\n";
    RunSpec dense = RunSpec.parse(base, BASE);
    assertThat(dense.pruning().prunes()).isFalse();
    assertThat(RunSpec.parse(base + "pruning: {method: dense}\n", BASE).runId())
        .isEqualTo(dense.runId());
    RunSpec gate =
        RunSpec.parse(base + "pruning: {method: magnitude, step: 100, ratio: 0.5}\n", BASE);
    assertThat(gate.pruning().scope()).containsExactly(dev.polyak.nn.Structure.Kind.HEAD);
    assertThat(gate.pruning().schedule())
        .isEqualTo(new dev.polyak.prune.PruningSchedule.OneShot(100, 0.5));
    assertThat(gate.runId())
        .isNotEqualTo(dense.runId())
        .isNotEqualTo(
            RunSpec.parse(base + "pruning: {method: magnitude, step: 100, ratio: 0.25}\n", BASE)
                .runId())
        .isNotEqualTo(
            RunSpec.parse(base + "pruning: {method: random, step: 100, ratio: 0.5}\n", BASE)
                .runId());
    assertThat(
            RunSpec.parse(
                    "model: switch-tiny\ndata: x\nsteps: 10\npruning: {method: random, step: 5, ratio: 0.5}\n",
                    BASE)
                .pruning()
                .scope())
        .containsExactly(dev.polyak.nn.Structure.Kind.EXPERT);
    assertThat(
            RunSpec.parse(
                    "model: switch-tiny\ndata: x\nsteps: 10\npruning: {method: random, step: 5, ratio: 0.5,"
                        + " scope: [heads, experts]}\n",
                    BASE)
                .pruning()
                .scope())
        .hasSize(2);

    assertThatThrownBy(
            () -> RunSpec.parse(base + "pruning: {method: prune-all, step: 1, ratio: 0.5}\n", BASE))
        .hasMessageContaining("pruning.method must be one of dense, random, magnitude, lth")
        .hasMessageContaining("'prune-all'");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: random, step: 1, ratio: 0.5, sceduel: x}\n", BASE))
        .hasMessageContaining("line 4")
        .hasMessageContaining("unknown key 'sceduel'")
        .hasMessageContaining("schedule");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: random, schedule: linear, step: 1, ratio: 0.5}\n",
                    BASE))
        .hasMessageContaining(
            "pruning.step does not belong to a linear schedule, which takes start_epoch, end_epoch,"
                + " final_ratio");
    assertThatThrownBy(() -> RunSpec.parse(base + "pruning: {method: random, step: 1}\n", BASE))
        .hasMessageContaining("a one-shot schedule needs pruning.ratio");
    assertThatThrownBy(
            () -> RunSpec.parse(base + "pruning: {method: random, step: 1, ratio: 1.5}\n", BASE))
        .hasMessageContaining("a pruning ratio must be in [0, 1], got 1.5");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: random, step: 1, ratio: 0.5, scope: [layers]}\n",
                    BASE))
        .hasMessageContaining(
            "pruning.scope: unknown structure kind 'layers'; allowed: neurons, heads, experts, filters");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base
                        + "pruning: {method: snip, step: 0, ratio: 0.5, scope: [weights, filters]}\n",
                    BASE))
        .hasMessageContaining(
            "pruning.scope: weights prunes single weights and cannot be mixed with structures");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: fpgm, step: 0, ratio: 0.5, scope: [weights]}\n",
                    BASE))
        .hasMessageContaining(
            "pruning.scope [weights] takes a method that scores single weights (random, magnitude,"
                + " lth, snip, grasp); fpgm scores structures");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base
                        + "pruning: {method: lth, step: 1, ratio: 0.5, options: {rewind_schedule: 1}}\n",
                    BASE))
        .hasMessageContaining("pruning.options.rewind_schedule must be true or false, got '1'");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: lth, step: 1, ratio: 0.5, options: {rewind: 1}}\n",
                    BASE))
        .hasMessageContaining(
            "pruning.options.rewind is not an option of lth; allowed: rewind_fraction, rewind_schedule");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    base + "pruning: {method: random, step: 1, ratio: 0.5, options: {a: 1}}\n",
                    BASE))
        .hasMessageContaining("pruning.options.a is not an option of random, which takes none");
  }

  @Test
  void aRefusedValueCarriesTheRunFileKeyItWasGivenUnder() {
    String run = "model: mlp\ndata: x\nsteps: 10\n";
    String pruned = run + "pruning:\n  method: pl-gate\n  step: 1\n";
    assertThat(refusedKey(run + "batch_size: 0\n")).isEqualTo("batch_size");
    assertThat(refusedKey(run.replace("steps: 10", "steps: 0"))).isEqualTo("steps");
    assertThat(refusedKey(run + "learning_rate: fast\n")).isEqualTo("learning_rate");
    assertThat(refusedKey(run + "optimizer: lion\n")).isEqualTo("optimizer");
    assertThat(refusedKey(run + "keep_last: 0\n")).isEqualTo("keep_last");
    assertThat(refusedKey(run + "model_options: {heads: 2}\n")).isEqualTo("model_options.heads");
    assertThat(refusedKey(run.replace("mlp", "bert-huge"))).isEqualTo("model");
    assertThat(refusedKey(pruned + "  ratio: 1.5\n")).isEqualTo("pruning.ratio");
    assertThat(refusedKey(pruned.replace("step: 1", "step: bad") + "  ratio: 0.5\n"))
        .isEqualTo("pruning.step");
    assertThat(refusedKey(pruned + "  zz: 1\n")).isEqualTo("pruning.zz");
    assertThat(refusedKey(pruned)).isEqualTo("pruning.ratio");
    assertThat(refusedKey(pruned + "  ratio: 0.5\n  schedule: linear\n")).isEqualTo("pruning.step");
    assertThat(refusedKey(pruned + "  ratio: 0.5\n  options: {alpha: -1}\n"))
        .isEqualTo("pruning.options.alpha");
    assertThat(refusedKey(pruned + "  ratio: 0.5\n  options: {gate_width: 2.5}\n"))
        .isEqualTo("pruning.options.gate_width");
    assertThat(refusedKey(pruned + "  ratio: 0.5\n  options: {beta: 1}\n"))
        .isEqualTo("pruning.options.beta");
  }

  private static String refusedKey(String yaml) {
    try {
      RunSpec.parse(yaml, BASE);
    } catch (RunFileException e) {
      return e.key();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void aMissingOrBrokenFileNamesTheFile(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> RunSpec.load(missing))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("no such run file");
    Path broken = Files.writeString(dir.resolve("run.yaml"), "model: [mlp\n");
    assertThatThrownBy(() -> RunSpec.load(broken))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(broken.toString())
        .hasMessageContaining("line");
  }

  @Test
  void theRunIdDependsOnWhatDecidesTheTrajectoryOnly() {
    RunSpec a =
        RunSpec.parse(
            "model: mlp\ndata: a\nsteps: 100\nseed: 4\nmodel_options: {hidden: 32, layers: 1}\n",
            BASE);
    RunSpec reordered =
        RunSpec.parse(
            "seed: 4\nmodel_options: {layers: 1, hidden: 32}\nsteps: 100\ndata: elsewhere\nmodel: mlp\n",
            Path.of("/x"));
    RunSpec explicitDefaults =
        RunSpec.parse(
            "model: mlp\ndata: a\nsteps: 100\nseed: 4\nmodel_options: {hidden: 32, layers: 1}\n"
                + "optimizer: sgd\nmomentum: 0.9\nschedule: step\n",
            BASE);
    RunSpec otherSeed =
        RunSpec.parse(
            "model: mlp\ndata: a\nsteps: 100\nseed: 5\nmodel_options: {hidden: 32, layers: 1}\n",
            BASE);
    assertThat(reordered.runId()).isEqualTo(a.runId());
    assertThat(explicitDefaults.runId()).isEqualTo(a.runId());
    assertThat(otherSeed.runId()).isNotEqualTo(a.runId());
    RunSpec keepingMore =
        RunSpec.parse(
            "model: mlp\ndata: a\nsteps: 100\nseed: 4\nmodel_options: {hidden: 32, layers: 1}\n"
                + "keep_last: 1\nkeep_every: 50\n",
            BASE);
    assertThat(keepingMore.keepEvery()).isEqualTo(50);
    assertThat(keepingMore.runId()).isEqualTo(a.runId());
    assertThat(a.runId()).matches("[0-9a-f]{16}");
    // The identity is SHA-256 of the canonical JSON, checked here by an independent digest.
    String expected = java.util.HexFormat.of().formatHex(sha256(a.canonicalJson()), 0, 8);
    assertThat(a.runId()).isEqualTo(expected);
    assertThat(a.canonicalJson()).startsWith("{\"batch_size\":64,\"eval_every\":25,");
  }

  private static byte[] sha256(String text) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A checkpoint carries the canonical spec, whose pruning schedule is a nested map; restoring it
   * (polyak diagnose, the sweep's Diagnose stage) must read it back as the same run, for every
   * schedule. Before the fix, every pruned run's checkpoint was refused ("'pruning.schedule':
   * Cannot deserialize value of type String from Object").
   */
  @Test
  void aPrunedRunsSavedSpecReadsBackAsTheSameRun() {
    for (String block :
        new String[] {
          "{method: magnitude, step: 10, ratio: 0.5, min_per_layer: 1}",
          "{method: pl-gate, schedule: linear, start_epoch: 0, end_epoch: 2, final_ratio: 0.5, options: {alpha: 0.5}}",
          "{method: random, schedule: iterative, every_epochs: 1, fraction: 0.2, final_ratio: 0.6, scope: [neurons]}",
          // no options block: the default kernel must be in the saved spec as in the run id
          "{method: pl-gate, step: 10, ratio: 0.5}",
          "{method: kappa-rank, step: 10, ratio: 0.5}"
        }) {
      RunSpec spec =
          RunSpec.parse(
              "model: mlp\ndata: /shards\nsteps: 40\neval_every: 10\npruning: " + block + "\n",
              null);
      String saved =
          "{\"run_id\": \""
              + spec.runId()
              + "\", \"spec\": "
              + spec.canonicalJson()
              + ", \"data\": \"/shards\", \"checkpoint_every\": 10, \"keep_last\": 3}";
      RunSpec restored = SavedRun.specOf(saved, Path.of("ckpt.safetensors"), null);
      assertThat(restored.runId()).as(block).isEqualTo(spec.runId());
      assertThat(restored.pruning()).as(block).isEqualTo(spec.pruning());
      if (block.contains("pl-gate") || block.contains("kappa-rank")) {
        assertThat(spec.canonicalJson()).as(block).contains("\"kernel\":\"pntk\"");
      }
    }
  }

  /**
   * The paper runs SNIP, GraSP and LTH unstructured on VGG-16 and ResNet-56 (weight masks at the
   * target ratio, globally ranked); every other method there prunes filters, and on the
   * transformers and the MLP every method prunes the model's own structures. {@code scope:
   * [filters]} keeps the structured versions, per layer.
   */
  @Test
  void snipGraspAndLthPruneSingleWeightsOnTheCnnsUnlessTheScopeSaysFilters() {
    for (String model : new String[] {"vgg16", "resnet56"}) {
      String cnn = "model: " + model + "\ndata: /shards\nsteps: 40\neval_every: 10\npruning: ";
      for (String method : new String[] {"snip", "grasp", "lth"}) {
        dev.polyak.prune.PruningSpec weights =
            RunSpec.parse(cnn + "{method: " + method + ", step: 8, ratio: 0.5}\n", null).pruning();
        assertThat(weights.scope()).as(model + " " + method).containsExactly(Kind.WEIGHT);
        assertThat(weights.allocation()).isEqualTo(dev.polyak.prune.Allocation.GLOBAL);
        dev.polyak.prune.PruningSpec filters =
            RunSpec.parse(
                    cnn + "{method: " + method + ", step: 8, ratio: 0.5, scope: [filters]}\n", null)
                .pruning();
        assertThat(filters.scope()).containsExactly(Kind.FILTER);
        assertThat(filters.allocation()).isEqualTo(dev.polyak.prune.Allocation.PER_LAYER);
      }
      for (String method : new String[] {"magnitude", "random", "fpgm", "pl-gate"}) {
        assertThat(
                RunSpec.parse(cnn + "{method: " + method + ", step: 8, ratio: 0.5}\n", null)
                    .pruning()
                    .scope())
            .as(model + " " + method)
            .containsExactly(Kind.FILTER);
      }
    }
    String[][] natural = {{"mlp", "NEURON"}, {"bert-tiny", "HEAD"}, {"switch-tiny", "EXPERT"}};
    for (String[] m : natural) {
      for (String method : new String[] {"snip", "grasp", "lth"}) {
        assertThat(
                RunSpec.parse(
                        "model: "
                            + m[0]
                            + "\ndata: x\nsteps: 9\npruning: {method: "
                            + method
                            + ", step: 8, ratio: 0.5}\n",
                        null)
                    .pruning()
                    .scope())
            .as(m[0] + " " + method)
            .containsExactly(Kind.valueOf(m[1]));
      }
    }
  }

  @Test
  void theAllocationDefaultsByScopeIsInTheRunIdUnlessGlobalAndReadsBackFromASavedSpec() {
    String vgg = "model: vgg16\ndata: /shards\nsteps: 40\neval_every: 10\npruning: ";
    RunSpec perLayer = RunSpec.parse(vgg + "{method: fpgm, step: 0, ratio: 0.5}\n", null);
    RunSpec global =
        RunSpec.parse(vgg + "{method: fpgm, step: 0, ratio: 0.5, allocation: global}\n", null);
    RunSpec chip = RunSpec.parse(vgg + "{method: chip, step: 0, ratio: 0.5}\n", null);
    assertThat(perLayer.pruning().allocation()).isEqualTo(dev.polyak.prune.Allocation.PER_LAYER);
    assertThat(global.pruning().allocation()).isEqualTo(dev.polyak.prune.Allocation.GLOBAL);
    assertThat(chip.pruning().allocation()).isEqualTo(dev.polyak.prune.Allocation.CHIP_VGG16);
    assertThat(
            RunSpec.parse(
                    "model: bert-tiny\ndata: x\nsteps: 9\npruning: {method: fpgm, step: 0, ratio: 0.5}\n",
                    null)
                .pruning()
                .allocation())
        .isEqualTo(dev.polyak.prune.Allocation.GLOBAL);
    assertThat(perLayer.canonicalJson()).contains("\"allocation\":\"per-layer\"");
    assertThat(global.canonicalJson())
        .doesNotContain("allocation"); // as every run before the key existed
    assertThat(perLayer.runId()).isNotEqualTo(global.runId());
    for (RunSpec spec : new RunSpec[] {perLayer, global, chip}) {
      String saved =
          "{\"run_id\": \""
              + spec.runId()
              + "\", \"spec\": "
              + spec.canonicalJson()
              + ", \"data\": \"/shards\", \"checkpoint_every\": 10, \"keep_last\": 3}";
      RunSpec restored = SavedRun.specOf(saved, Path.of("ckpt.safetensors"), null);
      assertThat(restored.pruning()).isEqualTo(spec.pruning());
      assertThat(restored.runId()).isEqualTo(spec.runId());
    }

    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    vgg + "{method: fpgm, step: 0, ratio: 0.5, allocation: layer}\n", null))
        .hasMessageContaining(
            "pruning.allocation must be one of global, per-layer, chip-vgg16, got 'layer'");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    vgg + "{method: chip, step: 0, ratio: 0.3, allocation: chip-vgg16}\n", null))
        .hasMessageContaining(
            "pruning.allocation chip-vgg16 is CHIP's table for VGG-16's filters at a final ratio of 0.5;"
                + " got scope [filters] and final ratio 0.3");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    "model: bert-tiny\ndata: x\nsteps: 9\npruning: {method: chip, step: 0,"
                        + " ratio: 0.5}\n",
                    null))
        .hasMessageContaining(
            "pruning.scope: chip scores convolution filters by their feature"
                + " maps, so its scope must be [filters], got [heads]");
    assertThatThrownBy(
            () ->
                RunSpec.parse(
                    vgg + "{method: fpgm, step: 0, ratio: 0.5, options: {criterion: median}}\n",
                    null))
        .hasMessageContaining(
            "pruning.options.criterion must be one of norm, distance, mixed, got 'median'");
  }
}
