package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structured SNIP against the MLP's gradient derived by hand in Java doubles, over batches of
 * unequal size (so the batch weighting shows), and zero scores where the weights or the output are
 * zero.
 */
class SnipTest {
  private static final RandomStreams STREAMS = new RandomStreams(8);

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void scoresAreTheSumOverEachNeuronsSlicesOfGradientTimesWeightOfTheMeanLoss() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      ScoringFixtures.MlpRegression regression =
          ScoringFixtures.MlpRegression.create(manager, STREAMS, 5);
      Mlp model = regression.model();
      ScoringFixtures.setRows(
          model, "w1", 2, 3, 0f); // neuron 2: zero outgoing weights, so zero incoming gradients
      model.masks().set(0, 4, false); // neuron 4 masked: every gradient of its slices is zero
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, regression.input());

      double[] scores =
          new Snip()
              .scores(new ScoringContext(regression.data(), 1, 0, 0, 2)); // batches of 2, 2, 1

      before.assertUnchanged();
      ScoringFixtures.HandMlp hand = ScoringFixtures.HandMlp.of(model);
      ScoringFixtures.HandMlp.Gradient g = hand.gradient(regression.x(), regression.y(), 0, 5);
      for (int j = 0; j < 6; j++) {
        double expected = Math.abs(hand.b0[j] * g.b0()[j]);
        for (int i = 0; i < 4; i++) {
          expected += Math.abs(hand.w0[i][j] * g.w0()[i][j]);
        }
        for (int k = 0; k < 3; k++) {
          expected += Math.abs(hand.w1[j][k] * g.w1()[j][k]);
        }
        assertThat(scores[j])
            .as("layer0/neuron%d", j)
            .isCloseTo(expected, within(1e-5 * expected + 1e-9));
        assertThat(scores[j] > 0)
            .as("layer0/neuron%d scores above zero", j)
            .isEqualTo(j != 2 && j != 4);
      }
      assertThat(scores[2]).isZero();
      assertThat(scores[4]).isZero();
    }
  }
}
