package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.testing.TestModel;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * β by power iteration against known spectra: a quadratic whose eigenvalues are chosen, and a small
 * tanh MLP against its dense Hessian built here from central differences of autograd gradients and
 * solved with EJML; the per-sample Lipschitz estimate against per-sample gradients computed here.
 */
class HessianEigenvalueTest {
  private static final int D = 12;
  private static final double[] SPECTRUM = {4, 2.5, 2, 1.5, 1.2, 1, 0.8, 0.6, 0.5, 0.3, 0.2, 0.1};

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  /** Q diag(λ) Qᵀ for a random orthogonal Q (Gram–Schmidt of Gaussian columns). */
  private static double[][] withSpectrum(double[] lambda, RandomStream random) {
    double[][] q = new double[D][D];
    for (int c = 0; c < D; c++) {
      for (int r = 0; r < D; r++) {
        q[r][c] = random.nextGaussian();
      }
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int r = 0; r < D; r++) {
          dot += q[r][c] * q[r][p];
        }
        for (int r = 0; r < D; r++) {
          q[r][c] -= dot * q[r][p];
        }
      }
      double norm = 0;
      for (int r = 0; r < D; r++) {
        norm += q[r][c] * q[r][c];
      }
      for (int r = 0; r < D; r++) {
        q[r][c] /= Math.sqrt(norm);
      }
    }
    double[][] a = new double[D][D];
    for (int i = 0; i < D; i++) {
      for (int j = 0; j < D; j++) {
        for (int k = 0; k < D; k++) {
          a[i][j] += q[i][k] * lambda[k] * q[j][k];
        }
      }
    }
    return a;
  }

  private static DiagnosticsOptions options(HessianEigenvalue.Settings settings) {
    return DiagnosticsOptions.defaults()
        .withProbeSamples(4)
        .withHutchinsonProbes(0)
        .withKinds(java.util.EnumSet.allOf(Structure.Kind.class), false)
        .withSmoothness(settings);
  }

  @Test
  void theQuadraticsBetaIsItsLargestEigenvalueAndTheFactorIsOneMinusMuOverBeta() {
    RandomStreams streams = new RandomStreams(5);
    double[][] a = withSpectrum(SPECTRUM, streams.stream("q"));
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        HessianTraceTest.Quadratic model =
            new HessianTraceTest.Quadratic(manager, a, streams.stream("init"))) {
      DiagnosticsReport report =
          Diagnostics.run(
              model.objective(),
              new int[] {0, 1, 2, 3},
              0,
              9,
              options(HessianEigenvalue.Settings.defaults()));
      DiagnosticsReport.Conditioning c = report.conditioning();
      assertThat(c.smoothness().converged()).isTrue();
      assertThat(c.smoothness().iterations())
          .isBetween(2, HessianEigenvalue.Settings.DEFAULT_MAX_ITERATIONS);
      assertThat(c.beta()).isCloseTo(4, within(4 * 2e-3));

      // by hand: L = ½ wᵀAw, ∇L = Aw (A as float32, as the model holds it), µ = ‖Aw‖² / (2L)
      float[] w = model.parameters().get("w").toFloatArray();
      double loss = 0;
      double gradientSquared = 0;
      for (int i = 0; i < D; i++) {
        double g = 0;
        for (int j = 0; j < D; j++) {
          g += (float) a[i][j] * w[j];
        }
        gradientSquared += g * g;
        loss += 0.5 * w[i] * g;
      }
      double mu = gradientSquared / (2 * loss);
      assertThat(c.mu()).isCloseTo(mu, within(1e-4 * mu));
      assertThat(c.factorFlag()).isNull();
      assertThat(c.convergenceFactor()).isCloseTo(1 - mu / 4, within(3e-3)).isBetween(0.0, 1.0);
      assertThat(c.convergenceFactor()).isCloseTo(1 - c.mu() / c.beta(), within(1e-12));
      // every probe's loss is the whole ½ wᵀAw: each per-sample gradient is Aw
      assertThat(c.lipschitzValue())
          .isCloseTo(Math.sqrt(gradientSquared), within(1e-4 * Math.sqrt(gradientSquared)));

      DiagnosticRecord row = DiagnosticRecords.model("run", report);
      assertThat(row.getBeta()).isEqualTo(c.beta());
      assertThat(row.getBetaIterations()).isEqualTo(c.smoothness().iterations());
      assertThat(row.getBetaConverged()).isTrue();
      assertThat(row.getBetaMethod()).isEqualTo("lanczos");
      assertThat(row.getBetaTolerance()).isEqualTo(1e-2);
      assertThat(row.getConvergenceFactor()).isEqualTo(c.convergenceFactor());
      assertThat(row.getConvergenceFactorFlag()).isNull();
      assertThat(row.getLipschitzValue()).isEqualTo(c.lipschitzValue());
    }
  }

  @Test
  void aCapTooSmallIsReportedAsNotConverged() {
    RandomStreams streams = new RandomStreams(5);
    double[] close = SPECTRUM.clone();
    close[1] = 3.99; // a gap of 0.25 %: power iteration needs far more than 3 products
    double[][] a = withSpectrum(close, streams.stream("q"));
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        HessianTraceTest.Quadratic model =
            new HessianTraceTest.Quadratic(manager, a, streams.stream("init"))) {
      HessianEigenvalue.Result r =
          HessianEigenvalue.estimate(
                  model.objective(), new HessianEigenvalue.Settings(1e-9, 3, false), 4, 1e-3, 9)
              .whole();
      assertThat(r.converged()).isFalse();
      assertThat(r.iterations()).isEqualTo(3);
      assertThat(r.eigenvalue()).isBetween(0.1, 4.0 + 1e-3);
    }
  }

  @Test
  void theRitzValueOfATridiagonalIsItsClosedFormEigenpair() {
    // [[2,1,0],[1,2,1],[0,1,2]]: eigenvalues 2 − √2, 2, 2 + √2; the top one's unit eigenvector is
    // (1, √2, 1) / 2
    HessianEigenvalue.RitzValue top =
        HessianEigenvalue.RitzValue.dominant(new double[] {2, 2, 2}, new double[] {1, 1}, 3);
    assertThat(top.value()).isCloseTo(2 + Math.sqrt(2), within(1e-12));
    assertThat(Math.abs(top.lastComponent())).isCloseTo(0.5, within(1e-12));
    // [[−3, ½], [½, 1]]: eigenvalues −1 ± √4.25; the dominant is the negative one, with
    // eigenvector (1, −½ / (1 − λ)) up to scale
    HessianEigenvalue.RitzValue negative =
        HessianEigenvalue.RitzValue.dominant(new double[] {-3, 1}, new double[] {0.5}, 2);
    double lambda = -1 - Math.sqrt(4.25);
    double second = -0.5 / (1 - lambda);
    assertThat(negative.value()).isCloseTo(lambda, within(1e-12));
    assertThat(Math.abs(negative.lastComponent()))
        .isCloseTo(Math.abs(second) / Math.sqrt(1 + second * second), within(1e-12));
    // one step: T = [a], the Ritz vector is (1)
    assertThat(HessianEigenvalue.RitzValue.dominant(new double[] {-7}, new double[0], 1))
        .isEqualTo(new HessianEigenvalue.RitzValue(-7, 1));
  }

  /**
   * A diagonal operator on R^3000 with the top two eigenvalues 1 and 0.99 and the rest spread over
   * [0, 0.9]: the gap that makes power iteration slow. Both methods start from the same Gaussian
   * vector at PyHessian's tolerance 1e-3 and the default cap; then each at its own default.
   */
  @Test
  void lanczosFindsTheTopOfACloseSpectrumInFewerProductsThanPowerIteration() {
    int d = 3000;
    float[] spectrum = new float[d];
    spectrum[0] = 1f;
    spectrum[1] = 0.99f;
    for (int i = 2; i < d; i++) {
      spectrum[i] = 0.9f * i / d;
    }
    float[] startValues = new float[d];
    new RandomStreams(3).stream("start").fillGaussian(startValues, 1f);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray diagonal =
          manager.create(spectrum).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
      HessianEigenvalue.HessianProduct h =
          v -> {
            NDArray product =
                v.get(0).toType(ai.djl.ndarray.types.DataType.FLOAT64, false).mul(diagonal);
            NDScope.unregister(product);
            return List.of(product);
          };
      HessianEigenvalue.Settings settings =
          HessianEigenvalue.Settings.defaults().withTolerance(1e-3);
      HessianEigenvalue.Result lanczos =
          HessianEigenvalue.lanczos(h, unit(manager, startValues), settings);
      HessianEigenvalue.Result power =
          HessianEigenvalue.power(
              h, unit(manager, startValues), settings.withMethod(HessianEigenvalue.Method.POWER));
      System.out.printf(
          "close spectrum: lanczos %.6f in %d products (converged %s), power %.6f in %d (converged"
              + " %s)%n",
          lanczos.eigenvalue(),
          lanczos.iterations(),
          lanczos.converged(),
          power.eigenvalue(),
          power.iterations(),
          power.converged());
      assertThat(lanczos.converged()).isTrue();
      // the residual bound puts an eigenvalue within 1e-3 of θ, and θ ≤ λ_max: here it is 1
      assertThat(lanczos.eigenvalue()).isCloseTo(1, within(1e-3)).isLessThanOrEqualTo(1 + 1e-6);
      assertThat(lanczos.iterations()).isLessThan(power.iterations());
      // PyHessian's rule (relative change below the tolerance) stops power iteration while its
      // quotient is still several tolerances below λ_max
      assertThat(power.converged()).isTrue();
      assertThat(1 - power.eigenvalue()).isGreaterThan(3 * settings.tolerance());

      // each at its own default: Lanczos's looser residual rule (1e-2) still lands closer to λ_max
      // than PyHessian's rule at 1e-3, and in fewer products
      HessianEigenvalue.Result lanczosDefault =
          HessianEigenvalue.lanczos(
              h, unit(manager, startValues), HessianEigenvalue.Settings.defaults());
      HessianEigenvalue.Result powerDefault =
          HessianEigenvalue.power(
              h,
              unit(manager, startValues),
              HessianEigenvalue.Settings.defaults(HessianEigenvalue.Method.POWER));
      System.out.printf(
          "close spectrum, default tolerances: lanczos %.6f in %d products, power %.6f in %d%n",
          lanczosDefault.eigenvalue(),
          lanczosDefault.iterations(),
          powerDefault.eigenvalue(),
          powerDefault.iterations());
      assertThat(HessianEigenvalue.Settings.defaults().tolerance()).isEqualTo(1e-2);
      assertThat(powerDefault.eigenvalue()).isEqualTo(power.eigenvalue());
      assertThat(lanczosDefault.converged()).isTrue();
      assertThat(1 - lanczosDefault.eigenvalue()).isLessThan(1 - powerDefault.eigenvalue());
      assertThat(lanczosDefault.iterations()).isLessThan(powerDefault.iterations());
    }
  }

  /** {@code values} / ‖values‖ as a one-array vector, not registered with a scope. */
  private static List<NDArray> unit(NDManager manager, float[] values) {
    double norm = 0;
    for (float v : values) {
      norm += (double) v * v;
    }
    float[] unit = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      unit[i] = (float) (values[i] / Math.sqrt(norm));
    }
    NDArray array = manager.create(unit);
    NDScope.unregister(array);
    return new ArrayList<>(List.of(array));
  }

  /**
   * Both methods, run to their cap with every structure's block as well, leave no array in the
   * parameters' manager (the leak of the previous stop's power iteration grew native memory by 25
   * MB/s on bert-small).
   */
  @Test
  void bothMethodsLeaveNoArraysBehind() {
    RandomStreams streams = new RandomStreams(5);
    double[][] a = withSpectrum(SPECTRUM, streams.stream("q"));
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        HessianTraceTest.Quadratic model =
            new HessianTraceTest.Quadratic(manager, a, streams.stream("init"))) {
      NDManager owner = model.parameters().manager();
      for (HessianEigenvalue.Method method : HessianEigenvalue.Method.values()) {
        int before = owner.getManagedArrays().size();
        HessianEigenvalue.Estimates e =
            HessianEigenvalue.estimate(
                model.objective(),
                new HessianEigenvalue.Settings(1e-12, 6, true, method),
                4,
                1e-3,
                9);
        assertThat(e.whole().iterations()).as("%s", method).isEqualTo(6);
        assertThat(e.structures()).as("%s", method).hasSize(3);
        assertThat(owner.getManagedArrays()).as("%s", method).hasSize(before);
      }
    }
  }

  @Test
  void aNegativeDefiniteQuadraticIsFlaggedNotGivenAFactor() {
    RandomStreams streams = new RandomStreams(6);
    double[] negative = new double[D];
    for (int i = 0; i < D; i++) {
      negative[i] = -SPECTRUM[i];
    }
    double[][] a = withSpectrum(negative, streams.stream("q"));
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        HessianTraceTest.Quadratic model =
            new HessianTraceTest.Quadratic(manager, a, streams.stream("init"))) {
      DiagnosticsReport report =
          Diagnostics.run(
              model.objective(),
              new int[] {0, 1, 2, 3},
              0,
              9,
              options(HessianEigenvalue.Settings.defaults()));
      assertThat(report.conditioning().beta()).isCloseTo(-4, within(4 * 2e-3));
      assertThat(report.conditioning().factorFlag()).isEqualTo(Bounds.Flag.BETA_NOT_POSITIVE);
      assertThat(report.conditioning().convergenceFactor()).isNaN();
      DiagnosticRecord row = DiagnosticRecords.model("run", report);
      assertThat(row.getConvergenceFactor()).isNull();
      assertThat(row.getConvergenceFactorFlag()).isEqualTo("beta-not-positive");
    }
  }

  @Test
  void theFactorIsFlaggedUnlessMuIsPositiveAndAtMostBeta() {
    assertThat(Bounds.convergenceFactor(4, 1)).isEqualTo(new Bounds.ConvergenceFactor(0.75, null));
    assertThat(Bounds.convergenceFactor(4, 4).value()).isZero();
    assertThat(Bounds.convergenceFactor(4, 5).flag()).isEqualTo(Bounds.Flag.MU_ABOVE_BETA);
    assertThat(Bounds.convergenceFactor(4, 0).flag()).isEqualTo(Bounds.Flag.MU_NOT_POSITIVE);
    assertThat(Bounds.convergenceFactor(4, -1).flag()).isEqualTo(Bounds.Flag.MU_NOT_POSITIVE);
    assertThat(Bounds.convergenceFactor(4, Double.NaN).flag())
        .isEqualTo(Bounds.Flag.MU_NOT_POSITIVE);
    assertThat(Bounds.convergenceFactor(-2, 1).flag()).isEqualTo(Bounds.Flag.BETA_NOT_POSITIVE);
    assertThat(Bounds.convergenceFactor(Double.NaN, 1).flag()).isEqualTo(Bounds.Flag.NO_BETA);
    for (double[] betaMu : new double[][] {{4, 5}, {4, 0}, {-2, 1}, {Double.NaN, 1}}) {
      assertThat(Bounds.convergenceFactor(betaMu[0], betaMu[1]).value()).isNaN();
    }
    assertThat(Bounds.Flag.MU_ABOVE_BETA.spelling()).isEqualTo("mu-above-beta");
    // Theorem 12: γ ≤ L² / (µ n)
    assertThat(Bounds.stability(3, 0.5, 100)).isCloseTo(0.18, within(1e-15));
    assertThat(Bounds.stability(3, 0, 100)).isInfinite();
  }

  /**
   * x ∈ R³ → tanh(W1 x + b1) ∈ R⁴ (hidden units masked) → W2 h + b2 ∈ R³; one structure per hidden
   * unit (its W1 row and b1 entry).
   */
  static final class TanhMlp extends TestModel {
    TanhMlp(NDManager manager, RandomStream init) {
      super(manager, 4);
      parameters.normal("w1", new Shape(4, 3), 1f, init);
      parameters.normal("b1", new Shape(4), 0.5f, init);
      parameters.normal("w2", new Shape(3, 4), 1f, init);
      parameters.normal("b2", new Shape(3), 0.5f, init);
      for (int i = 0; i < 4; i++) {
        structures.add(
            new Structure(
                "hidden" + i,
                0,
                i,
                Structure.Kind.NEURON,
                List.of(
                    new Structure.Slice("w1", 0, i, i + 1),
                    new Structure.Slice("b1", 0, i, i + 1))));
      }
    }

    @Override
    public NDArray forward(NDArray input) {
      NDArray hidden =
          input
              .matMul(parameters.get("w1").transpose())
              .add(parameters.get("b1"))
              .tanh()
              .mul(input.getManager().create(masks.layer(0)));
      return hidden.matMul(parameters.get("w2").transpose()).add(parameters.get("b2"));
    }
  }

  /** The flattened gradient of the loss of probes [from, to), by autograd, in parameter order. */
  private static double[] gradient(ProbeObjective objective, int from, int to) {
    List<NDArray> params = new ArrayList<>(objective.model().parameters().arrays());
    Autograd.zeroGradients(params);
    try (NDScope scope = new NDScope()) {
      try (Autograd.Mode on = Autograd.recording(true)) {
        Autograd.backward(objective.loss(from, to));
      }
      List<Double> out = new ArrayList<>();
      for (NDArray p : params) {
        for (float g : p.getGradient().toFloatArray()) {
          out.add((double) g);
        }
      }
      Autograd.zeroGradients(params);
      return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
  }

  /**
   * The dense Hessian of the mean loss: column i = (∇L(w + h e_i) − ∇L(w − h e_i)) / 2h,
   * symmetrised.
   */
  private static double[][] denseHessian(ProbeObjective objective, double h) {
    List<NDArray> params = new ArrayList<>(objective.model().parameters().arrays());
    int size = 0;
    for (NDArray p : params) {
      size += (int) p.getShape().size();
    }
    double[][] hessian = new double[size][size];
    int column = 0;
    for (NDArray p : params) {
      float[] original = p.toFloatArray();
      for (int e = 0; e < original.length; e++, column++) {
        double[][] sides = new double[2][];
        for (int side = 0; side < 2; side++) {
          float[] moved = original.clone();
          moved[e] = (float) (original[e] + (side == 0 ? h : -h));
          dev.polyak.nn.Parameters.overwrite(p, moved);
          sides[side] = gradient(objective, 0, objective.size());
        }
        dev.polyak.nn.Parameters.overwrite(p, original);
        for (int r = 0; r < size; r++) {
          hessian[r][column] = (sides[0][r] - sides[1][r]) / (2 * h);
        }
      }
    }
    for (int r = 0; r < size; r++) {
      for (int c = 0; c < r; c++) {
        double mean = (hessian[r][c] + hessian[c][r]) / 2;
        hessian[r][c] = mean;
        hessian[c][r] = mean;
      }
    }
    return hessian;
  }

  /** The eigenvalue of largest magnitude of the symmetric submatrix on {@code indices}, by EJML. */
  private static double dominantEigenvalue(double[][] m, int[] indices) {
    DMatrixRMaj sub = new DMatrixRMaj(indices.length, indices.length);
    for (int r = 0; r < indices.length; r++) {
      for (int c = 0; c < indices.length; c++) {
        sub.set(r, c, m[indices[r]][indices[c]]);
      }
    }
    EigenDecomposition_F64<DMatrixRMaj> eig =
        DecompositionFactory_DDRM.eig(indices.length, false, true);
    assertThat(eig.decompose(sub)).isTrue();
    double dominant = 0;
    for (int k = 0; k < indices.length; k++) {
      double lambda = eig.getEigenvalue(k).getReal();
      if (Math.abs(lambda) > Math.abs(dominant)) {
        dominant = lambda;
      }
    }
    return dominant;
  }

  private static int[] range(int from, int to) {
    return java.util.stream.IntStream.range(from, to).toArray();
  }

  @Test
  void anMlpsBetaMatchesItsDenseFiniteDifferenceHessianAndItsLipschitzItsPerSampleGradients() {
    RandomStreams streams = new RandomStreams(7);
    int n = 10;
    float[][] x = TestObjectives.gaussian(streams.stream("x"), n, 3);
    int[] y = new int[n];
    RandomStream labels = streams.stream("y");
    for (int b = 0; b < n; b++) {
      y[b] = labels.nextInt(3);
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TanhMlp model = new TanhMlp(manager, streams.stream("init"))) {
      ProbeObjective objective = TestObjectives.classification(model, x, y);
      double[][] hessian = denseHessian(objective, 1e-2);
      int size = hessian.length;
      double expected = dominantEigenvalue(hessian, range(0, size));

      // float32 gradients put a floor near 1e-5 under the quotient's relative change: 1e-4 is as
      // tight as it goes
      HessianEigenvalue.Settings tight = new HessianEigenvalue.Settings(1e-4, 1000, true);
      DiagnosticsReport report =
          Diagnostics.run(
              objective,
              range(0, n),
              0,
              11,
              DiagnosticsOptions.defaults()
                  .withProbeSamples(n)
                  .withHutchinsonProbes(0)
                  .withSmoothness(tight));
      DiagnosticsReport.Conditioning c = report.conditioning();
      System.out.printf(
          "MLP: beta %.6f (%d iterations, converged %s), dense dominant eigenvalue %.6f%n",
          c.beta(), c.smoothness().iterations(), c.smoothness().converged(), expected);
      assertThat(c.smoothness().converged()).isTrue();
      assertThat(c.beta()).isCloseTo(expected, within(2e-3 * Math.abs(expected)));

      // hidden unit i owns w1 row i (scalars 3i..3i+2) and b1[i] (scalar 12 + i)
      for (int i = 0; i < 4; i++) {
        double block = dominantEigenvalue(hessian, new int[] {3 * i, 3 * i + 1, 3 * i + 2, 12 + i});
        HessianEigenvalue.Result r = report.structures().get(i).smoothness();
        assertThat(r.converged()).as("hidden%d", i).isTrue();
        assertThat(r.eigenvalue())
            .as("hidden%d", i)
            .isCloseTo(block, within(2e-3 * Math.abs(block) + 1e-5));
      }

      HessianEigenvalue.Result byDefault =
          Diagnostics.run(
                  objective,
                  range(0, n),
                  0,
                  11,
                  DiagnosticsOptions.defaults().withProbeSamples(n).withHutchinsonProbes(0))
              .conditioning()
              .smoothness();
      assertThat(byDefault.eigenvalue()).isCloseTo(expected, within(2e-3 * Math.abs(expected)));
      HessianEigenvalue.Result power =
          Diagnostics.run(
                  objective,
                  range(0, n),
                  0,
                  11,
                  DiagnosticsOptions.defaults()
                      .withProbeSamples(n)
                      .withHutchinsonProbes(0)
                      .withSmoothness(tight.withMethod(HessianEigenvalue.Method.POWER)))
              .conditioning()
              .smoothness();
      System.out.printf(
          "MLP: default (lanczos) %d products, power at tolerance 1e-4 %d products%n",
          byDefault.iterations(), power.iterations());
      assertThat(power.converged()).isTrue();
      assertThat(power.eigenvalue()).isCloseTo(expected, within(2e-3 * Math.abs(expected)));

      double largest = 0;
      for (int b = 0; b < n; b++) {
        double squares = 0;
        for (double g : gradient(objective, b, b + 1)) {
          squares += g * g;
        }
        largest = Math.max(largest, Math.sqrt(squares));
      }
      assertThat(c.lipschitzValue()).isCloseTo(largest, within(1e-5 * largest));
      assertThat(c.lipschitzValue()).isGreaterThan(c.maxBatchGradientNorm());
    }
  }
}
