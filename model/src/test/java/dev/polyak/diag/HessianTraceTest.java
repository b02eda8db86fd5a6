package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hutchinson traces and Hessian-vector products against a known Hessian and against exact double
 * backward.
 */
class HessianTraceTest {
  private static final int D = 12;

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  /**
   * ½ wᵀAw over w ∈ R^12, three structures of four coordinates; the loss ignores the probe range.
   */
  static final class Quadratic extends TestModel {
    final NDArray a;

    Quadratic(NDManager manager, double[][] matrix, RandomStream init) {
      super(manager, 3);
      parameters.normal("w", new Shape(D), 1f, init);
      float[] flat = new float[D * D];
      for (int i = 0; i < D; i++) {
        for (int j = 0; j < D; j++) {
          flat[i * D + j] = (float) matrix[i][j];
        }
      }
      a = manager.create(flat, new Shape(D, D));
      for (int s = 0; s < 3; s++) {
        structures.add(
            new Structure(
                "block" + s,
                0,
                s,
                Structure.Kind.NEURON,
                List.of(new Structure.Slice("w", 0, 4L * s, 4L * s + 4))));
      }
    }

    /** ½ wᵀAw whatever the probe range, over 4 probes. */
    ProbeObjective objective() {
      ProbeObjective.RangeLoss loss =
          (from, to) -> {
            NDArray w = parameters.get("w");
            return dev.polyak.nn.Scalars.mul(w.matMul(a.matMul(w)), 0.5);
          };
      return ProbeObjective.of(this, 4, probe -> loss.loss(0, 4), loss);
    }

    @Override
    public NDArray forward(NDArray input) {
      throw new UnsupportedOperationException();
    }
  }

  /** A symmetric matrix with entries of order one (float32-representable). */
  private static double[][] symmetric(RandomStream random, boolean diagonal) {
    double[][] m = new double[D][D];
    for (int i = 0; i < D; i++) {
      for (int j = 0; j <= i; j++) {
        double v = diagonal && i != j ? 0 : (float) random.nextGaussian();
        m[i][j] = v;
        m[j][i] = v;
      }
    }
    return m;
  }

  private static double trace(double[][] m, int from, int to) {
    double t = 0;
    for (int i = from; i < to; i++) {
      t += m[i][i];
    }
    return t;
  }

  @Test
  void theHessianVectorProductOfAQuadraticIsAv() {
    RandomStreams streams = new RandomStreams(1);
    double[][] m = symmetric(streams.stream("a"), false);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Quadratic model = new Quadratic(manager, m, streams.stream("init"))) {
      float[] v = new float[D];
      streams.stream("v").fillGaussian(v, 1f);
      NDArray w = model.parameters().get("w");
      List<NDArray> saved = List.of(w.duplicate());
      List<NDArray> base = GradientNorms.meanLossGradient(model.objective(), 4, null);
      for (List<NDArray> mode : java.util.Arrays.asList(null, base)) { // central, then forward
        List<NDArray> hv =
            HessianTrace.hessianVectorProduct(
                model.objective(), saved, List.of(manager.create(v)), 1e-3, 4, mode);
        double[] actual = hv.get(0).toDoubleArray();
        for (int i = 0; i < D; i++) {
          double expected = 0;
          for (int j = 0; j < D; j++) {
            expected += m[i][j] * v[j];
          }
          assertThat(actual[i]).isCloseTo(expected, within(1e-3 * (1 + Math.abs(expected))));
        }
        try (Autograd.Mode off = Autograd.recording(false)) {
          w.subi(w).addi(saved.get(0));
        }
      }
    }
  }

  /**
   * β's power iteration takes up to 100 Hessian-vector products: each must leave the parameters'
   * manager holding what it held before (a leak of the perturbed weights' temporaries grew a
   * bert-small diagnostic's native memory by about 25 MB/s).
   */
  @Test
  void aHessianVectorProductLeavesNoArraysBehind() {
    RandomStreams streams = new RandomStreams(3);
    double[][] m = symmetric(streams.stream("a"), false);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Quadratic model = new Quadratic(manager, m, streams.stream("init"))) {
      float[] v = new float[D];
      streams.stream("v").fillGaussian(v, 1f);
      NDArray w = model.parameters().get("w");
      List<NDArray> saved = List.of(w.duplicate());
      List<NDArray> direction = List.of(manager.create(v));
      NDManager owner = model.parameters().manager();
      int before = owner.getManagedArrays().size();
      for (int k = 0; k < 3; k++) {
        HessianTrace.hessianVectorProduct(model.objective(), saved, direction, 1e-3, 4, null)
            .forEach(NDArray::close);
      }
      assertThat(owner.getManagedArrays()).hasSize(before);
    }
  }

  @Test
  void aDiagonalHessianGivesItsTraceFromEveryProbe() {
    RandomStreams streams = new RandomStreams(2);
    double[][] m = symmetric(streams.stream("a"), true);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Quadratic model = new Quadratic(manager, m, streams.stream("init"))) {
      HessianTrace.Result r = HessianTrace.estimate(model.objective(), 5, 4, 1e-3, 7);
      // vᵀ diag(a) v = Σ a_ii for every sign vector: only rounding remains
      assertThat(r.whole().trace()).isCloseTo(trace(m, 0, D), within(1e-3));
      assertThat(r.whole().standardError()).isLessThan(1e-3);
      for (int s = 0; s < 3; s++) {
        assertThat(r.structures()[s].trace()).isCloseTo(trace(m, 4 * s, 4 * s + 4), within(1e-3));
      }
      assertThat(r.rest().trace()).isZero();
    }
  }

  @Test
  void hutchinsonConvergesToTheTraceWithinItsStandardError() {
    RandomStreams streams = new RandomStreams(3);
    double[][] m = symmetric(streams.stream("a"), false);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Quadratic model = new Quadratic(manager, m, streams.stream("init"))) {
      HessianTrace.Result r = HessianTrace.estimate(model.objective(), 400, 4, 1e-3, 11);
      assertThat(r.whole().probes()).isEqualTo(400);
      // the variance of vᵀAv is 2 Σ_{i≠j} a_ij²: the reported error must match it
      double offDiagonal = 0;
      for (int i = 0; i < D; i++) {
        for (int j = 0; j < D; j++) {
          offDiagonal += i == j ? 0 : m[i][j] * m[i][j];
        }
      }
      double expectedSe = Math.sqrt(2 * offDiagonal / 400);
      assertThat(r.whole().standardError()).isCloseTo(expectedSe, within(0.2 * expectedSe));
      assertThat(r.whole().trace())
          .isCloseTo(trace(m, 0, D), within(4 * r.whole().standardError()));
      for (int s = 0; s < 3; s++) {
        assertThat(r.structures()[s].trace())
            .isCloseTo(trace(m, 4 * s, 4 * s + 4), within(4 * r.structures()[s].standardError()));
      }
    }
  }

  /**
   * Forward and central differences against exact double backward on a small BERT (the engine's
   * create-graph backward is fine in a test, where the leaked graph dies with the JVM), at the
   * default step: this measures the error that the class documentation states (forward 8e-4,
   * central 1.4e-4 relative L2 here).
   */
  @Test
  void centralDifferencesMatchDoubleBackwardOnBert() {
    RandomStreams streams = new RandomStreams(4);
    int n = SMALL_BERT_PROBES;
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(SMALL_BERT, manager, streams.stream("init"))) {
      ProbeObjective objective = smallBertObjective(model, streams);
      List<NDArray> params = new ArrayList<>(model.parameters().arrays());
      List<NDArray> v = new ArrayList<>();
      List<NDArray> saved = new ArrayList<>();
      RandomStream signs = streams.stream("signs");
      for (NDArray p : params) {
        float[] values = new float[(int) p.getShape().size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = signs.nextBoolean() ? 1f : -1f;
        }
        v.add(manager.create(values, p.getShape()));
        saved.add(p.duplicate());
      }
      double[] exact = exactHessianVectorProduct(objective, params, v);
      double epsilon = DiagnosticsOptions.DEFAULT_RELATIVE_STEP * rms(params);
      List<NDArray> base = GradientNorms.meanLossGradient(objective, n, null);
      for (boolean forward : new boolean[] {false, true}) {
        List<NDArray> fd =
            HessianTrace.hessianVectorProduct(
                objective, saved, v, epsilon, n, forward ? base : null);
        try (Autograd.Mode off = Autograd.recording(false)) {
          for (int t = 0; t < params.size(); t++) {
            params.get(t).subi(params.get(t)).addi(saved.get(t));
          }
        }
        double diff = 0;
        double norm = 0;
        double quadraticExact = 0;
        double quadraticFd = 0;
        int offset = 0;
        for (int t = 0; t < fd.size(); t++) {
          double[] approx = fd.get(t).toDoubleArray();
          float[] signsOf = v.get(t).toFloatArray();
          for (int i = 0; i < approx.length; i++) {
            double e = exact[offset + i];
            diff += (approx[i] - e) * (approx[i] - e);
            norm += e * e;
            quadraticExact += e * signsOf[i];
            quadraticFd += approx[i] * signsOf[i];
          }
          offset += approx.length;
        }
        double relative = Math.sqrt(diff / norm);
        System.out.printf(
            "%s-difference Hv vs double backward: relative L2 error %.2e, vᵀHv %.6f vs %.6f%n",
            forward ? "forward" : "central", relative, quadraticFd, quadraticExact);
        assertThat(relative).isLessThan(forward ? 2e-3 : 1e-3);
        assertThat(quadraticFd)
            .isCloseTo(quadraticExact, within((forward ? 2e-3 : 1e-3) * Math.abs(quadraticExact)));
      }
    }
  }

  /**
   * A vector concentrated on few scalars, as β's iterates become (here the loss gradient, whose
   * embedding part lies on the probes' tokens, as GraSP multiplies it): the public product against
   * double backward at the default step. A step scaled by RMS(v) instead of max|v|, as before,
   * moves those scalars far and is measured beside it.
   */
  @Test
  void aConcentratedVectorsProductMatchesDoubleBackward() {
    RandomStreams streams = new RandomStreams(8);
    int n = SMALL_BERT_PROBES;
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(SMALL_BERT, manager, streams.stream("init"))) {
      ProbeObjective objective = smallBertObjective(model, streams);
      model.evaluation();
      List<NDArray> params = new ArrayList<>(model.parameters().arrays());
      // the loss gradient, GraSP's vector: its embedding rows are those of the probes' tokens only
      List<NDArray> v = split(flat(GradientNorms.meanLossGradient(objective, n)), params, manager);
      Autograd.zeroGradients(params);
      double rmsV = rms(v);
      double maxV = 0;
      for (NDArray a : v) {
        maxV = Math.max(maxV, a.abs().max().getFloat());
      }
      double[] exact = exactHessianVectorProduct(objective, params, v);
      List<NDArray> now =
          HessianTrace.hessianVectorProduct(
              objective, v, DiagnosticsOptions.DEFAULT_RELATIVE_STEP, n);
      List<NDArray> saved = new ArrayList<>();
      for (NDArray p : params) {
        saved.add(p.duplicate());
      }
      List<NDArray> before =
          HessianTrace.hessianVectorProduct(
              objective,
              saved,
              v,
              DiagnosticsOptions.DEFAULT_RELATIVE_STEP * rms(params) / rmsV,
              n,
              null);
      try (Autograd.Mode off = Autograd.recording(false)) {
        for (int t = 0; t < params.size(); t++) {
          params.get(t).subi(params.get(t)).addi(saved.get(t));
        }
      }
      double errorNow = relativeError(now, exact);
      double errorBefore = relativeError(before, exact);
      System.out.printf(
          "concentrated v (max/RMS %.0f): relative L2 error %.2e with the max-scaled step, %.2e with"
              + " the RMS-scaled one%n",
          maxV / rmsV, errorNow, errorBefore);
      assertThat(maxV / rmsV).isGreaterThan(10);
      assertThat(errorNow).isLessThan(1e-3);
      assertThat(errorBefore).isGreaterThan(3 * errorNow);
    }
  }

  private static double[] flat(List<NDArray> arrays) {
    List<Double> out = new ArrayList<>();
    for (NDArray a : arrays) {
      for (float x : a.toFloatArray()) {
        out.add((double) x);
      }
      a.close();
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static List<NDArray> split(double[] flat, List<NDArray> like, NDManager manager) {
    List<NDArray> out = new ArrayList<>();
    int offset = 0;
    for (NDArray p : like) {
      int size = (int) p.getShape().size();
      float[] values = new float[size];
      for (int i = 0; i < size; i++) {
        values[i] = (float) flat[offset + i];
      }
      offset += size;
      out.add(manager.create(values, p.getShape()));
    }
    return out;
  }

  private static double relativeError(List<NDArray> approx, double[] exact) {
    double diff = 0;
    double norm = 0;
    int offset = 0;
    for (NDArray a : approx) {
      double[] values = a.toDoubleArray();
      for (int i = 0; i < values.length; i++) {
        double e = exact[offset + i];
        diff += (values[i] - e) * (values[i] - e);
        norm += e * e;
      }
      offset += values.length;
    }
    return Math.sqrt(diff / norm);
  }

  /** The small BERT of the double-backward tests, with {@link #SMALL_BERT_PROBES} MLM probes. */
  private static final Bert.Config SMALL_BERT = new Bert.Config(40, 16, 2, 2, 32, 8);

  private static final int SMALL_BERT_PROBES = 6;

  private static ProbeObjective smallBertObjective(Bert model, RandomStreams streams) {
    return TestObjectives.randomMlm(
        model, streams.stream("data"), SMALL_BERT_PROBES, b -> new int[] {2, 6});
  }

  private static double rms(List<NDArray> params) {
    double s = 0;
    long c = 0;
    for (NDArray p : params) {
      for (float x : p.toFloatArray()) {
        s += (double) x * x;
      }
      c += p.getShape().size();
    }
    return Math.sqrt(s / c);
  }

  /**
   * Hv by double backward: g = ∇L with create-graph, then the backward of Σ g·v adds Hv to the
   * gradients, and g (copied before) is subtracted.
   */
  private static double[] exactHessianVectorProduct(
      ProbeObjective objective, List<NDArray> params, List<NDArray> v) {
    Autograd.zeroGradients(params);
    List<Double> out = new ArrayList<>();
    try (NDScope scope = new NDScope();
        Autograd.Mode on = Autograd.recording(true)) {
      NDArray loss = objective.loss(0, objective.size());
      JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), true, true);
      NDArray dot = null;
      List<float[]> first = new ArrayList<>();
      for (int t = 0; t < params.size(); t++) {
        NDArray g = params.get(t).getGradient();
        first.add(g.toFloatArray());
        NDArray term = g.mul(v.get(t)).sum();
        dot = dot == null ? term : dot.add(term);
      }
      JniUtils.backward((PtNDArray) dot, (PtNDArray) dot.onesLike(), false, false);
      for (int t = 0; t < params.size(); t++) {
        float[] after = params.get(t).getGradient().toFloatArray();
        for (int i = 0; i < after.length; i++) {
          out.add((double) after[i] - first.get(t)[i]);
        }
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
