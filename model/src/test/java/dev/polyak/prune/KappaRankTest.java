package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.Spectrum;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestRows;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kappa-rank on an MLP whose hidden units are built to be well or ill conditioned, against kernels
 * formed by hand from the closed-form Jacobian of a one-hidden-layer ReLU network: for unit j with
 * incoming column u, bias c and outgoing weight a, on a sample x where it is active, ∂f/∂u = a·x,
 * ∂f/∂c = a and ∂f/∂a = relu(u·x + c).
 */
class KappaRankTest {
  private static final int N = 10;
  private static final int INPUTS = 16;
  private static final double FLOOR = Spectrum.DEFAULT_FLOOR;

  /**
   * Unit roles by position: 0 rank one (no outgoing weight), 2 dead, 3 nearly rank one, 1, 4, 5
   * ordinary.
   */
  private static final float[] OUTGOING = {0f, 0.5f, 0.7f, 0.01f, -0.9f, 1.3f};

  private static final float[] BIAS = {2f, 2f, -100f, 2f, 2f, 2f};

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void illConditionedUnitsRankLastInTheOrderOfTheirHandComputedConditionNumbers() {
    RandomStreams streams = new RandomStreams(21);
    float[][] x = TestRows.gaussian(streams.stream("data"), N, INPUTS);
    int hidden = OUTGOING.length;
    float[] w0 = new float[INPUTS * hidden];
    streams.stream("weights").fillGaussian(w0, 0.1f);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = TestMlps.mlp(manager, INPUTS, w0, BIAS, OUTGOING, streams.stream("init"))) {
      ProbeObjective data = TestMlps.regression(model, x, new float[N]);
      TestMlps.Snapshot before = TestMlps.Snapshot.of(model, x);

      double[] scores = new KappaRank().scores(new ScoringContext(data, 21, 0, 0, 4));

      before.assertUnchanged(model, x);
      Spectrum[] byHand = new Spectrum[hidden];
      for (int j = 0; j < hidden; j++) {
        byHand[j] = Spectrum.of(handKernel(x, w0, hidden, j), N, FLOOR);
      }
      assertThat(byHand[0].singular()).as("no outgoing weight: rank one").isTrue();
      assertThat(StructureSpectra.numericalRank(byHand[0], FLOOR)).isEqualTo(1);
      assertThat(byHand[2].lambdaMax()).as("dead unit").isZero();
      assertThat(byHand[3].conditionNumber()).as("nearly rank one").isFinite().isGreaterThan(1e4);
      for (int j : new int[] {1, 3, 4, 5}) {
        assertThat(byHand[j].singular()).as("unit %d singular", j).isFalse();
        double tolerance = j == 3 ? 1e-2 : 1e-4;
        assertThat(scores[j])
            .as("unit %d: -ln kappa", j)
            .isCloseTo(-Math.log(byHand[j].conditionNumber()), within(tolerance));
      }
      // ordinary units by kappa, then the nearly rank-one unit, the rank-one unit, the dead one
      List<Integer> ordinary = new ArrayList<>(List.of(1, 4, 5));
      ordinary.sort(Comparator.comparingDouble(j -> byHand[j].conditionNumber()));
      List<Integer> expected = new ArrayList<>(ordinary);
      expected.addAll(List.of(3, 0, 2));
      assertThat(ranking(scores)).isEqualTo(expected);
      assertThat(KeepTop.select(model.structures(), scores, 3, 1))
          .containsExactly(false, true, false, false, true, true);
    }
  }

  @Test
  void singularKernelsScoreBelowEveryRegularOneByRankThenIndex() {
    Spectrum regular = Spectrum.fromEigenvalues(new double[] {1, 4}, FLOOR);
    Spectrum worse = Spectrum.fromEigenvalues(new double[] {1, 400}, FLOOR);
    Spectrum rankOne = Spectrum.fromEigenvalues(new double[] {0, 9}, FLOOR);
    Spectrum zero = Spectrum.fromEigenvalues(new double[] {0, 0}, FLOOR);

    double[] scores = KappaRank.scores(new Spectrum[] {zero, rankOne, worse, zero, regular}, FLOOR);

    assertThat(scores[4]).isEqualTo(-Math.log(4));
    assertThat(scores[2]).isEqualTo(-Math.log(400));
    assertThat(scores[1]).isEqualTo(-Math.log(400) - 2 + 0.5);
    assertThat(scores[0]).isEqualTo(scores[3]).isEqualTo(-Math.log(400) - 2);
    assertThat(ranking(scores)).containsExactly(4, 2, 1, 0, 3);
    assertThat(java.util.Arrays.stream(scores).allMatch(Double::isFinite)).isTrue();
  }

  /** Structure positions from the highest score down, ties by position (KeepTop's order). */
  private static List<Integer> ranking(double[] scores) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      order.add(i);
    }
    order.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
    return order;
  }

  /** K_j = G Gᵀ in float64, row b of G = [a·1(z>0)·x_b, a·1(z>0), relu(z)] with z = u·x_b + c. */
  private static double[] handKernel(float[][] x, float[] w0, int hidden, int j) {
    double[][] g = new double[N][INPUTS + 2];
    for (int b = 0; b < N; b++) {
      double z = BIAS[j];
      for (int i = 0; i < INPUTS; i++) {
        z += (double) x[b][i] * w0[i * hidden + j];
      }
      double active = z > 0 ? 1 : 0;
      for (int i = 0; i < INPUTS; i++) {
        g[b][i] = OUTGOING[j] * active * x[b][i];
      }
      g[b][INPUTS] = OUTGOING[j] * active;
      g[b][INPUTS + 1] = Math.max(z, 0);
    }
    double[] kernel = new double[N * N];
    for (int a = 0; a < N; a++) {
      for (int b = 0; b < N; b++) {
        for (int k = 0; k < INPUTS + 2; k++) {
          kernel[a * N + b] += g[a][k] * g[b][k];
        }
      }
    }
    return kernel;
  }
}
