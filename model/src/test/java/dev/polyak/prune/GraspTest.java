package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestModel;
import dev.polyak.testing.TestRows;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structured GraSP against closed forms computed in Java doubles: for least squares H = XᵀX / n and
 * g = Xᵀ(Xw − y) / n exactly; for the MLP, score_i = Σ_i θ ⊙ Hg is the derivative of ½‖g‖² along
 * structure i's own weights, taken by central differences of the hand-derived gradient.
 */
class GraspTest {
  private static final RandomStreams STREAMS = new RandomStreams(13);
  private static final int D = 6;

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void leastSquaresScoresAreTheWeightTimesHessianTimesGradientOfEachBlock() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        LeastSquares model = new LeastSquares(manager)) {
      int n = 7;
      float[][] x = TestRows.gaussian(STREAMS.stream("x"), n, D);
      float[][] y = TestRows.gaussian(STREAMS.stream("y"), n, 1);
      ProbeObjective data = ScoringFixtures.regression(model, x, y);
      ScoringFixtures.Snapshot before =
          ScoringFixtures.Snapshot.of(model, TestRows.rows(model.parameters().manager(), x, 0, n));

      double[] scores =
          new Grasp().scores(new ScoringContext(data, 1, 0, 0, 3)); // batches of 3, 3, 1

      before.assertUnchanged();
      float[] w = before.weights().get("w");
      double[] residual = new double[n];
      for (int b = 0; b < n; b++) {
        for (int i = 0; i < D; i++) {
          residual[b] += x[b][i] * w[i];
        }
        residual[b] -= y[b][0];
      }
      double[] g = new double[D];
      double[][] h = new double[D][D];
      for (int b = 0; b < n; b++) {
        for (int i = 0; i < D; i++) {
          g[i] += x[b][i] * residual[b] / n;
          for (int k = 0; k < D; k++) {
            h[i][k] += x[b][i] * x[b][k] / n;
          }
        }
      }
      double largest = 0;
      double[] expected = new double[3];
      for (int i = 0; i < D; i++) {
        double hg = 0;
        for (int k = 0; k < D; k++) {
          hg += h[i][k] * g[k];
        }
        expected[i / 2] += w[i] * hg;
        largest = Math.max(largest, Math.abs(w[i] * hg));
      }
      for (int s = 0; s < 3; s++) {
        assertThat(scores[s]).as("block%d", s).isCloseTo(expected[s], within(3e-4 * largest));
      }
    }
  }

  @Test
  void mlpScoresAreTheDerivativeOfHalfTheSquaredGradientNormAlongEachNeuronsWeights() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      ScoringFixtures.MlpRegression regression =
          ScoringFixtures.MlpRegression.create(manager, STREAMS, 5);
      Mlp model = regression.model();
      model
          .masks()
          .set(
              0, 4,
              false); // the loss does not depend on neuron 4's weights: no gradient, no curvature
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, regression.input());

      double[] scores = new Grasp().scores(new ScoringContext(regression.data(), 1, 0, 0, 2));

      before.assertUnchanged();
      ScoringFixtures.HandMlp hand = ScoringFixtures.HandMlp.of(model);
      double t = 1e-5;
      double largest = 0;
      double[] expected = new double[6];
      for (int j = 0; j < 6; j++) {
        double plus =
            hand.scaledNeuron(j, 1 + t)
                .gradient(regression.x(), regression.y(), 0, 5)
                .squaredNorm();
        double minus =
            hand.scaledNeuron(j, 1 - t)
                .gradient(regression.x(), regression.y(), 0, 5)
                .squaredNorm();
        expected[j] = (plus - minus) / (4 * t); // d/dt ½‖g(θ + t θ_j)‖² = θ_jᵀ H g
        largest = Math.max(largest, Math.abs(expected[j]));
      }
      assertThat(largest).as("a test case with curvature").isGreaterThan(1e-3);
      for (int j = 0; j < 6; j++) {
        assertThat(scores[j])
            .as("layer0/neuron%d", j)
            .isCloseTo(expected[j], within(3e-4 * largest));
      }
      assertThat(scores[4]).isZero();
    }
  }

  /** f(x) = x · w over w ∈ R^6, three structures of two coordinates each. */
  private static final class LeastSquares extends TestModel {
    LeastSquares(NDManager manager) {
      super(manager, 3);
      parameters.normal("w", new Shape(D), 1f, STREAMS.stream("init"));
      for (int s = 0; s < 3; s++) {
        structures.add(
            new Structure(
                "block" + s,
                0,
                s,
                Structure.Kind.NEURON,
                List.of(new Structure.Slice("w", 0, 2L * s, 2L * s + 2))));
      }
    }

    @Override
    public NDArray forward(NDArray input) {
      return input.matMul(parameters.get("w").reshape(-1, 1));
    }
  }
}
