package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.WeightMasks;
import dev.polyak.random.RandomStreams;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unstructured SNIP ({@code scope: [weights]}) against the MLP's gradient derived by hand in Java
 * doubles: every weight's score is |∂L/∂w ⊙ w| of the mean loss, over batches of unequal size; a
 * weight removed by its mask scores exactly 0.
 */
class SnipWeightScoresTest {
  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void everyWeightScoresGradientTimesWeight() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      ScoringFixtures.MlpRegression regression =
          ScoringFixtures.MlpRegression.create(manager, new RandomStreams(8), 5);
      Mlp model = regression.model();
      WeightMasks masks = model.weightMasks();
      assertThat(masks.names()).containsExactly("w0", "w1");
      boolean[] keep = new boolean[4 * 6];
      java.util.Arrays.fill(keep, true);
      keep[7] = false; // w0[1][1]
      keep[20] = false; // w0[3][2]
      masks.set("w0", keep);
      masks.zeroRemoved(model.parameters());
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, regression.input());

      Map<String, double[]> scores =
          new Snip().weightScores(new ScoringContext(regression.data(), 1, 0, 0, 2));

      before.assertUnchanged();
      // The hand model reads the weights as they are now, the removed ones zero.
      ScoringFixtures.HandMlp hand = ScoringFixtures.HandMlp.of(model);
      ScoringFixtures.HandMlp.Gradient g = hand.gradient(regression.x(), regression.y(), 0, 5);
      assertThat(scores).containsOnlyKeys("w0", "w1");
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 6; j++) {
          double expected = Math.abs(hand.w0[i][j] * g.w0()[i][j]);
          assertThat(scores.get("w0")[i * 6 + j])
              .as("w0[%d][%d]", i, j)
              .isCloseTo(expected, within(1e-5 * expected + 1e-9));
        }
      }
      for (int j = 0; j < 6; j++) {
        for (int k = 0; k < 3; k++) {
          double expected = Math.abs(hand.w1[j][k] * g.w1()[j][k]);
          assertThat(scores.get("w1")[j * 3 + k])
              .as("w1[%d][%d]", j, k)
              .isCloseTo(expected, within(1e-5 * expected + 1e-9));
        }
      }
      assertThat(scores.get("w0")[7]).isZero();
      assertThat(scores.get("w0")[20]).isZero();
      assertThat(java.util.Arrays.stream(scores.get("w0")).filter(s -> s > 0).count())
          .isGreaterThan(12);
    }
  }
}
