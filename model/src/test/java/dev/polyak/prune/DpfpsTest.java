package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DPFPS's allocation and criterion at an event, against hand-worked cases of the published rule:
 * layer l keeps floor(a_l · c) of its a_l alive filters, c shared, the most Taylor-sensitive first.
 */
class DpfpsTest {
  private static List<Structure> filters(int layers, int perLayer) {
    List<Structure> s = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      for (int f = 0; f < perLayer; f++) {
        s.add(new Structure("conv" + l + "/filter" + f, l, f, Structure.Kind.FILTER, List.of()));
      }
    }
    return s;
  }

  @Test
  void aLayerWhoseFiltersTrainingZeroedLosesMoreThanTheUniformRatio() {
    // Layer 0: filters 0-3 alive, 4-7 at 0.5 % of the largest norm (dead at the 1 % threshold);
    // layer 1: all eight alive. Keeping 6 of 16: floor(4c) + floor(8c) = 6 at c = 1/2, so layer 0
    // keeps 2 and layer 1 keeps 4 (a per-layer ratio keeps 3 and 3).
    double[] norm = {1, 2, 3, 4, .005, .005, .005, .005, 1, 1, 1, 1, 1, 1, 1, 1};
    double[] sensitivity = {4, 1, 3, 2, 9, 9, 9, 9, 1, 8, 2, 7, 3, 6, 4, 5};
    boolean[] kept = new boolean[16];
    java.util.Arrays.fill(kept, true);
    List<Structure> structures = filters(2, 8);
    double[] scores = Dpfps.scores(structures, kept, sensitivity, norm, 0.01);

    boolean[] keep = KeepTop.select(structures, scores, 6, 1);

    // layer 0 keeps its two most sensitive alive filters (0 and 2), never a dead one however
    // sensitive; layer 1 keeps its four most sensitive (9, 11, 13, 15 → indices 1, 3, 5, 7)
    assertThat(keep)
        .containsExactly(
            true, false, true, false, false, false, false, false, false, true, false, true, false,
            true, false, true);
    // the rank scores: -(r + 1) / a_l for alive filters, below -1 for dead ones
    assertThat(scores[0]).isEqualTo(-0.25);
    assertThat(scores[8]).isEqualTo(-1.0);
    assertThat(scores[4]).isLessThan(-1).isGreaterThan(-2);
  }

  @Test
  void withEveryFilterAliveItIsTheUniformRatioAndPrunedFiltersStayLast() {
    // Nothing zeroed: c = 1 - r in every layer, DPFPS starts as a uniform allocation.
    double[] norm = {1, 1, 1, 1, 2, 2, 2, 2};
    double[] sensitivity = {1, 2, 3, 4, 4, 3, 2, 1};
    boolean[] kept = {true, true, true, true, true, true, true, false};
    List<Structure> structures = filters(2, 4);
    double[] scores = Dpfps.scores(structures, kept, sensitivity, norm, 0.01);
    assertThat(scores[7]).isEqualTo(-2);
    // layer 1 has three alive: keeping 4 of the 7 kept gives floor(4c) + floor(3c) = 4 at c = 2/3
    boolean[] keep = KeepTop.select(structures, scores, 4, 1);
    assertThat(keep).containsExactly(false, false, true, true, true, true, false, false);
  }

  @Test
  void onAModelTheOrderIsTheTaylorSensitivityOfTheHandDifferentiatedGradient() {
    dev.polyak.nn.Autograd.ensureEngine();
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
      ScoringFixtures.MlpRegression regression =
          ScoringFixtures.MlpRegression.create(manager, new dev.polyak.random.RandomStreams(8), 5);
      dev.polyak.nn.Mlp model = regression.model();
      model.masks().set(0, 4, false); // pruned before: last, and not counted among the alive
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, regression.input());

      double[] scores =
          new Dpfps(Dpfps.DEFAULT_PRUNE_THRESHOLD)
              .scores(new ScoringContext(regression.data(), 1, 0, 0, 2));

      before.assertUnchanged();
      // |Σ w ⊙ g| over neuron j's incoming column and outgoing row (not its bias), g the mean
      // loss's gradient derived by hand; the five kept neurons ranked by it score -(r + 1) / 5
      ScoringFixtures.HandMlp hand = ScoringFixtures.HandMlp.of(model);
      ScoringFixtures.HandMlp.Gradient g = hand.gradient(regression.x(), regression.y(), 0, 5);
      double[] sensitivity = new double[6];
      for (int j = 0; j < 6; j++) {
        double sum = 0;
        for (int i = 0; i < 4; i++) {
          sum += hand.w0[i][j] * g.w0()[i][j];
        }
        for (int k = 0; k < 3; k++) {
          sum += hand.w1[j][k] * g.w1()[j][k];
        }
        sensitivity[j] = Math.abs(sum);
      }
      List<Integer> kept = new ArrayList<>(List.of(0, 1, 2, 3, 5));
      kept.sort((a, b) -> Double.compare(sensitivity[b], sensitivity[a]));
      for (int r = 0; r < kept.size(); r++) {
        assertThat(scores[kept.get(r)]).as("neuron%d", kept.get(r)).isEqualTo(-(r + 1) / 5.0);
      }
      assertThat(scores[4]).isEqualTo(-2);
    }
  }

  @Test
  void theThresholdIsAnOptionWithTheAuthorsDefault() {
    assertThat(PruningMethod.DPFPS.describe(java.util.Map.of()))
        .containsEntry("prune_threshold", "0.01");
    assertThatThrownBy(() -> PruningMethod.DPFPS.validate(java.util.Map.of("prune_threshold", 1)))
        .hasMessageContaining("pruning.options.prune_threshold must be in [0, 1)");
  }
}
