package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Structure;
import dev.polyak.nn.Vgg16;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestRows;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Channel independence against closed forms and against an SVD of the feature maps formed here. */
class ChipTest {
  private static final RandomStreams STREAMS = new RandomStreams(5);

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  /**
   * Feature maps e0, e1, e2 (orthonormal) and (e0 + e1) / 2, a combination of two others. In the e
   * basis A = [I; (½, ½, 0)], so AᵀA has eigenvalues 1.5, 1, 1 and ‖A‖_* = 2 + √1.5. Without the
   * combination ‖·‖_* = 3 (score √1.5 − 1 ≈ 0.22, the lowest); without e2, 1 + √1.5 (score 1);
   * without e0 the 2 × 2 block [[¼, ¼], [¼, 1¼]] has √λ₁ + √λ₂ = √(tr + 2√det) = √2.5 (score 1 +
   * √1.5 − √2.5 ≈ 0.64).
   */
  @Test
  void aChannelThatIsACombinationOfOthersScoresLowest() {
    double[][] a = {{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0.5, 0.5, 0, 0, 0}};
    double[] scores = Chip.independence(gram(a));
    double e0 = 1 + Math.sqrt(1.5) - Math.sqrt(2.5);
    assertThat(scores).containsExactly(new double[] {e0, e0, 1, Math.sqrt(1.5) - 1}, within(1e-9));
  }

  /**
   * The minors' eigenvalues by interlacing against an eigendecomposition of each minor: a random
   * layer with a duplicated channel and a dead one (repeated and zero eigenvalues, zero weights),
   * and orthonormal maps (G = I, one eigenvalue of multiplicity 4: each score is 4 − 3 = 1).
   */
  @Test
  void interlacingGivesTheMinorsEigenvaluesWithRepeatedAndZeroOnes() {
    float[][] rows = TestRows.gaussian(STREAMS.stream("maps"), 7, 20);
    double[][] a = new double[7][20];
    for (int i = 0; i < 7; i++) {
      for (int k = 0; k < 20; k++) {
        a[i][k] = i == 6 ? 0 : i == 4 ? rows[1][k] : rows[i][k];
      }
    }
    double[][] g = gram(a);
    double[] scores = Chip.independence(g);
    double full = sumOfRoots(g, -1);
    // Zero eigenvalues come out at rounding level ε·λ_max and their square roots at √ε·σ_max, in
    // either computation: agreement to 1e-7 of ‖A‖_* is what float64 allows here.
    for (int c = 0; c < 7; c++) {
      assertThat(scores[c])
          .as("channel %d", c)
          .isCloseTo(full - sumOfRoots(g, c), within(1e-7 * full));
    }
    assertThat(scores[6]).isCloseTo(0, within(1e-7 * full));
    assertThat(scores[1]).isCloseTo(scores[4], within(1e-7 * full));
    for (int c : new int[] {0, 2, 3, 5}) { // a duplicated channel is the least independent live one
      assertThat(scores[1]).as("channel 1 against %d", c).isLessThan(scores[c]);
    }
    double[][] identity = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    assertThat(Chip.independence(identity))
        .containsExactly(new double[] {1, 1, 1, 1}, within(1e-9));
  }

  /**
   * Σ √λ over the eigenvalues of g without row and column {@code skip} (none if −1), by EJML
   * directly.
   */
  private static double sumOfRoots(double[][] g, int skip) {
    int n = g.length - (skip < 0 ? 0 : 1);
    DMatrixRMaj minor = new DMatrixRMaj(n, n);
    for (int i = 0, r = 0; i < g.length; i++) {
      if (i != skip) {
        for (int j = 0, k = 0; j < g.length; j++) {
          if (j != skip) {
            minor.set(r, k++, g[i][j]);
          }
        }
        r++;
      }
    }
    var eig = DecompositionFactory_DDRM.eig(n, false, true);
    assertThat(eig.decompose(minor)).isTrue();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.sqrt(Math.max(0, eig.getEigenvalue(i).getReal()));
    }
    return sum;
  }

  /**
   * On a reduced VGG-16 at initialisation (batch norm in evaluation mode is x / √(1 + ε) there),
   * over two scoring batches: the first convolution's scores equal ‖A‖_* − ‖A without row c‖_*
   * computed by an SVD of A = ReLU(conv(x)) / √(1 + ε) formed here; a masked filter scores 0.
   */
  @Test
  void theFirstConvolutionsScoresAreNuclearNormDropsOfItsFeatureMaps() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model =
            new Vgg16(
                Vgg16.Config.reduced(10, 8),
                manager,
                STREAMS.stream("init"),
                STREAMS.stream("dropout"))) {
      int n = 6;
      float[][] images = TestRows.gaussian(STREAMS.stream("x"), n, 3 * 32 * 32);
      ProbeObjective.RangeLoss loss =
          (from, to) ->
              model
                  .forward(TestRows.rows(manager, images, from, to).reshape(to - from, 3, 32, 32))
                  .sum();
      ProbeObjective data = ProbeObjective.of(model, n, probe -> loss.loss(probe, probe + 1), loss);
      model.masks().set(0, 2, false);
      String weight = model.structures().get(0).slices().get(0).parameter();
      float[] before = model.parameters().get(weight).toFloatArray();

      double[] scores = new Chip().scores(new ScoringContext(data, 1, 0, 0, 4));

      List<Structure> layer0 = model.structures().stream().filter(s -> s.layer() == 0).toList();
      double[][] a = new double[8][];
      try (Autograd.Mode off = Autograd.recording(false);
          NDArray x = TestRows.rows(manager, images, 0, n).reshape(n, 3, 32, 32);
          NDArray maps =
              Conv2d.conv2d(
                      x,
                      model.parameters().get(weight),
                      model.parameters().get(weight.replace(".weight", ".bias")),
                      new Shape(1, 1),
                      new Shape(1, 1),
                      new Shape(1, 1),
                      1)
                  .singletonOrThrow()) {
        NDArray relu =
            maps.toType(DataType.FLOAT64, false)
                .div(Math.sqrt(1 + 1e-5))
                .maximum(0)
                .transpose(1, 0, 2, 3)
                .reshape(8, -1);
        for (int c = 0; c < 8; c++) {
          a[c] = c == 2 ? new double[n * 1024] : relu.get(c).toDoubleArray();
        }
      }
      double full = nuclearNorm(a);
      for (int c = 0; c < 8; c++) {
        double[][] without = a.clone();
        without[c] = new double[a[c].length];
        double expected = full - nuclearNorm(without);
        assertThat(scores[c]).as(layer0.get(c).id()).isCloseTo(expected, within(1e-5 * full));
      }
      assertThat(scores[2]).isCloseTo(0, within(1e-6 * full));
      assertThat(java.util.Arrays.stream(scores).filter(s -> s > 1e-6 * full).count())
          .as("every convolution's filters are scored")
          .isGreaterThan(scores.length / 2);
      assertThat(model.parameters().get(weight).toFloatArray()).isEqualTo(before);
    }
  }

  private static double[][] gram(double[][] a) {
    double[][] g = new double[a.length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a.length; j++) {
        for (int k = 0; k < a[i].length; k++) {
          g[i][j] += a[i][k] * a[j][k];
        }
      }
    }
    return g;
  }

  /** The sum of A's singular values, by EJML's SVD of A itself. */
  private static double nuclearNorm(double[][] a) {
    DMatrixRMaj matrix = new DMatrixRMaj(a);
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(matrix.numRows, matrix.numCols, false, false, true);
    assertThat(svd.decompose(matrix)).isTrue();
    return java.util.Arrays.stream(svd.getSingularValues()).sum();
  }
}
