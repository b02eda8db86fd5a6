package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Structure;
import dev.polyak.nn.Switch;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * pl-gate with {@code scope: [experts]} on a Switch Transformer (the paper's experts-only Table 2
 * protocol): the gate is set on the expert layers only, so every head keeps a gate of exactly 1
 * (none is ever set on a head group); heads score 0 and the experts' scores alone sum to 1 (the
 * heads never enter the softmax); and the heads' features and trace blocks do not change a bit of
 * the result (they never enter the normalisation, the relaxation or the penalty), while an expert's
 * do. With the scope {@code [heads, experts]} the heads are gated too, so the recorder does see
 * head gates when they exist.
 */
class PlGateExpertsScopeTest {
  /** vocab 40, hidden 16, 2 layers of 4 heads, FFN 24, length 8, 4 experts. */
  private static final Switch.Config CONFIG = new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.5, 0.01);

  private static final int SAMPLES = 8;
  private static final int BATCH = 4;
  private static final int STEPS = 5;

  private static final PlGate.Options OPTIONS = PlGate.Options.defaults().withGateBatches(STEPS);

  @Test
  void headsKeepAGateOfExactlyOneAndNeverEnterTheSoftmaxRelaxationOrPenalty() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(6).stream("init"))) {
      model.evaluation();
      List<Structure> structures = model.structures();
      int p = structures.size();
      boolean[] experts = PlGate.Setup.inScope(structures, Set.of(Structure.Kind.EXPERT));
      assertThat(count(experts)).isEqualTo(2 * 4);
      assertThat(p).isEqualTo(2 * 4 + 2 * 4);
      double[][] features = new double[p][];
      double[] blocks = new double[p];
      for (int i = 0; i < p; i++) {
        features[i] = new double[] {1.0 + i, 0.1 * (i % 5)};
        blocks[i] = 0.5 + 0.1 * i;
      }

      RecordingGates recorded = new RecordingGates(model);
      PlGate.Result result = gate(recorded, manager, experts, features, blocks);

      // gates only on the two expert groups, one value per expert per gate step
      assertThat(recorded.gates.keySet())
          .containsExactlyInAnyOrder(model.expertGroup(0), model.expertGroup(1));
      recorded.gates.values().forEach(values -> assertThat(values).hasSize(STEPS * 4));
      double expertSum = 0;
      for (int i = 0; i < p; i++) {
        if (experts[i]) {
          expertSum += result.scores()[i];
        } else {
          assertThat(result.scores()[i]).as(structures.get(i).id()).isZero();
        }
      }
      assertThat(expertSum).isCloseTo(1, within(1e-5));
      assertThat(result.normalisedFeatures()).hasNumberOfRows(2 * 4);

      // the heads' features and blocks changed wildly: the same bits
      double[][] otherHeads = new double[p][];
      double[] otherBlocks = blocks.clone();
      for (int i = 0; i < p; i++) {
        otherHeads[i] = experts[i] ? features[i].clone() : new double[] {1e6 * (i + 1), -3.0 * i};
        otherBlocks[i] = experts[i] ? blocks[i] : 1e9;
      }
      PlGate.Result headsChanged =
          gate(new RecordingGates(model), manager, experts, otherHeads, otherBlocks);
      assertThat(headsChanged.scores()).containsExactly(result.scores());
      assertThat(headsChanged.objective()).containsExactly(result.objective());
      assertThat(headsChanged.losses()).containsExactly(result.losses());
      assertThat(headsChanged.gate().sha256()).isEqualTo(result.gate().sha256());

      // ... while one expert's block enters the penalty and one expert's features the softmax
      int expert = firstIn(experts);
      double[] expertBlock = blocks.clone();
      expertBlock[expert] = 1e3;
      assertThat(
              gate(new RecordingGates(model), manager, experts, features, expertBlock).objective())
          .isNotEqualTo(result.objective());
      double[][] expertFeature =
          Arrays.stream(features).map(double[]::clone).toArray(double[][]::new);
      expertFeature[expert] = new double[] {1e6, -3};
      assertThat(gate(new RecordingGates(model), manager, experts, expertFeature, blocks).scores())
          .isNotEqualTo(result.scores());

      // heads and experts in scope: the head groups get gates too
      RecordingGates both = new RecordingGates(model);
      boolean[] all =
          PlGate.Setup.inScope(structures, Set.of(Structure.Kind.HEAD, Structure.Kind.EXPERT));
      gate(both, manager, all, features, blocks);
      assertThat(both.gates).hasSize(4);
    }
  }

  /** The gate trained from a new v on a squared-logit loss of eight fixed token rows. */
  private static PlGate.Result gate(
      RecordingGates model,
      NDManager manager,
      boolean[] inScope,
      double[][] features,
      double[] blocks) {
    int[] tokens = new int[SAMPLES * CONFIG.maxLength()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = 3 + (i * 7) % 37;
    }
    NDArray ids = manager.create(tokens, new Shape(SAMPLES, CONFIG.maxLength()));
    ProbeObjective data =
        ProbeObjective.of(
            model,
            SAMPLES,
            b -> model.forward(ids.get(new NDIndex("{}:{}", b, b + 1))).sum(),
            (from, to) -> model.forward(ids.get(new NDIndex("{}:{}", from, to))).square().mean());
    return new PlGate(OPTIONS)
        .train(
            new ScoringContext(data, 3, 0, 10, BATCH),
            new PlGate.Setup(null, null, inScope),
            features,
            blocks);
  }

  private static int count(boolean[] flags) {
    int n = 0;
    for (boolean f : flags) {
      n += f ? 1 : 0;
    }
    return n;
  }

  private static int firstIn(boolean[] flags) {
    for (int i = 0; i < flags.length; i++) {
      if (flags[i]) {
        return i;
      }
    }
    throw new AssertionError("no structure in scope");
  }
}
