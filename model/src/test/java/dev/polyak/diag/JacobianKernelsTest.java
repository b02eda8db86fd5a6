package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStreams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Kernels against closed forms (linear model) and against a direct full-Jacobian computation. */
class JacobianKernelsTest {
  private static final int N = 12;

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void linearModelKernelsAreTheInputGramsWhateverTheBudget() {
    RandomStreams streams = new RandomStreams(3);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), N, 5);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TestObjectives.Linear model =
            new TestObjectives.Linear(manager, 5, streams.stream("init"))) {
      ProbeObjective objective = TestObjectives.regression(model, x);
      // 4 bytes x 12 probes x 2 scalars: forces one pass per row of w and one for c
      for (long budget : new long[] {JacobianKernels.DEFAULT_MEMORY_BUDGET, 4L * N * 2}) {
        JacobianKernels.Kernels k = JacobianKernels.compute(objective, s -> true, true, budget);
        for (int i = 0; i < 5; i++) {
          for (int a = 0; a < N; a++) {
            for (int b = 0; b < N; b++) {
              assertThat(k.structureKernels()[i][a * N + b]).isEqualTo((double) x[a][i] * x[b][i]);
            }
          }
          assertThat(k.structureParameters()[i]).isEqualTo(1);
        }
        double[] whole = k.whole();
        for (int a = 0; a < N; a++) {
          for (int b = 0; b < N; b++) {
            assertThat(k.rest()[a * N + b]).isEqualTo(1.0);
            double dot = 1;
            for (int i = 0; i < 5; i++) {
              dot += (double) x[a][i] * x[b][i];
            }
            assertThat(whole[a * N + b]).isCloseTo(dot, within(1e-12));
          }
        }
        assertThat(k.passes()).isEqualTo(budget == 4L * N * 2 ? 3 : 1);
      }
    }
  }

  @Test
  void maskingACoordinateOfTheLinearModelRemovesExactlyItsKernel() {
    RandomStreams streams = new RandomStreams(4);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), N, 4);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TestObjectives.Linear model =
            new TestObjectives.Linear(manager, 4, streams.stream("init"))) {
      ProbeObjective objective = TestObjectives.regression(model, x);
      JacobianKernels.Kernels dense = JacobianKernels.compute(objective, s -> true, true, 1 << 20);
      model.masks().set(0, 2, false);
      JacobianKernels.Kernels masked = JacobianKernels.compute(objective, s -> true, true, 1 << 20);
      double[] expected = dense.whole();
      double[] minus = dense.structureKernels()[2];
      double[] actual = masked.whole();
      for (int e = 0; e < expected.length; e++) {
        assertThat(actual[e]).isCloseTo(expected[e] - minus[e], within(1e-12));
        assertThat(masked.structureKernels()[2][e]).isZero();
      }
    }
  }

  /** MLP neurons overlap (a neuron's outgoing row is the next layer's incoming weights). */
  @Test
  void mlpKernelsPartitionTheWholeModelKernel() {
    RandomStreams streams = new RandomStreams(5);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), N, 6);
    int[] y = new int[N];
    for (int b = 0; b < N; b++) {
      y[b] = b % 3;
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model =
            new Mlp(new Mlp.Config(6, new int[] {7, 5}, 3), manager, streams.stream("init"))) {
      model.masks().set(1, 3, false);
      ProbeObjective objective = TestObjectives.classification(model, x, y);
      JacobianKernels.Kernels k = JacobianKernels.compute(objective, s -> true, true, 1 << 20);
      long owned = k.restParameters();
      for (long p : k.structureParameters()) {
        owned += p;
      }
      assertThat(owned).isEqualTo(model.parameters().count());
      // layer0/neuron j owns column j of w0 (6) and b0[j] (1); its row of w1 goes to layer 1's
      // neurons
      assertThat(k.structureParameters()[0]).isEqualTo(7);
      // layer1/neuron j owns column j of w1 (7), b1[j] and its row of w2 (3): nothing later claims
      // it
      assertThat(k.structureParameters()[7]).isEqualTo(11);
      assertClose(k.whole(), directKernel(objective), 1e-9);
      // the masked neuron has a zero kernel: its output and all its gradients are zero
      for (double v : k.structureKernels()[7 + 3]) {
        assertThat(v).isZero();
      }
    }
  }

  @Test
  void bertHeadKernelsPartitionTheWholeModelKernelAndDroppingAHeadLowersLambdaMin() {
    RandomStreams streams = new RandomStreams(6);
    Bert.Config config = new Bert.Config(40, 16, 2, 2, 32, 8);
    int n = 10;
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(config, manager, streams.stream("init"))) {
      ProbeObjective objective =
          TestObjectives.randomMlm(model, streams.stream("data"), n, b -> new int[] {1 + b % 3, 5});
      JacobianKernels.Kernels k = JacobianKernels.compute(objective, s -> true, true, 1 << 16);
      assertThat(k.passes()).isGreaterThan(1);
      double[] direct = directKernel(objective);
      assertClose(k.whole(), direct, 1e-9);
      double lambdaMin = Spectrum.of(direct, n, 0).lambdaMin();
      for (int s = 0; s < model.structures().size(); s++) {
        double[] dropped = direct.clone();
        for (int e = 0; e < dropped.length; e++) {
          dropped[e] -= k.structureKernels()[s][e];
        }
        assertClose(dropped, directKernelWithout(objective, model.structures().get(s)), 1e-9);
        assertThat(Spectrum.of(dropped, n, 0).lambdaMin())
            .isLessThanOrEqualTo(lambdaMin * (1 + 1e-9));
      }
    }
  }

  /**
   * Proposition 14's reading, on random MLPs of five seeds and shapes: removing structure i's
   * columns at fixed weights leaves K − K_i, which is positive semi-definite with λ_min no larger
   * than K's (K_i is PSD). Actually masking a hidden neuron is a different model: its downstream
   * activations change too, so the masked model's kernel is not K − K_i.
   */
  @Test
  void droppingAStructureNeverRaisesLambdaMinOnRandomModelsButMaskingIsAnotherModel() {
    int n = 6;
    for (int seed = 0; seed < 5; seed++) {
      RandomStreams streams = new RandomStreams(100 + seed);
      int inputs = 3 + seed;
      float[][] x = TestObjectives.gaussian(streams.stream("data"), n, inputs);
      int[] y = new int[n];
      for (int b = 0; b < n; b++) {
        y[b] = (b + seed) % 3;
      }
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          Mlp model =
              new Mlp(
                  new Mlp.Config(inputs, new int[] {4 + seed, 3}, 3),
                  manager,
                  streams.stream("init"))) {
        ProbeObjective objective = TestObjectives.classification(model, x, y);
        JacobianKernels.Kernels k = JacobianKernels.compute(objective, s -> true, true, 1 << 20);
        double[] whole = k.whole();
        double lambdaMin = Spectrum.of(whole, n, 0).lambdaMin();
        assertThat(lambdaMin).as("seed %d: K is regular at n = %d", seed, n).isGreaterThan(0);
        double scale = Spectrum.of(whole, n, 0).lambdaMax();
        for (int i = 0; i < model.structures().size(); i++) {
          double[] dropped = whole.clone();
          for (int e = 0; e < dropped.length; e++) {
            dropped[e] -= k.structureKernels()[i][e];
          }
          Spectrum after = Spectrum.of(dropped, n, 0);
          assertThat(after.lambdaMin())
              .as("seed %d, structure %d", seed, i)
              .isLessThanOrEqualTo(lambdaMin + 1e-12 * scale)
              .isGreaterThanOrEqualTo(-1e-12 * scale);
        }
        // mask the first hidden layer's neuron 0: every later gradient changes, not only its own
        // columns
        model.masks().set(0, 0, false);
        double[] masked = JacobianKernels.compute(objective, s -> true, true, 1 << 20).whole();
        double largest = 0;
        for (int e = 0; e < masked.length; e++) {
          largest =
              Math.max(largest, Math.abs(masked[e] - (whole[e] - k.structureKernels()[0][e])));
        }
        assertThat(largest)
            .as("seed %d: masked kernel vs K - K_0", seed)
            .isGreaterThan(1e-6 * scale);
      }
    }
  }

  @Test
  void onlyTheSelectedStructuresAreComputedWithoutTheWholeModel() {
    RandomStreams streams = new RandomStreams(7);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), N, 6);
    int[] y = new int[N];
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model =
            new Mlp(new Mlp.Config(6, new int[] {4, 4}, 3), manager, streams.stream("init"))) {
      ProbeObjective objective = TestObjectives.classification(model, x, y);
      JacobianKernels.Kernels all = JacobianKernels.compute(objective, s -> true, true, 1 << 20);
      JacobianKernels.Kernels some =
          JacobianKernels.compute(objective, s -> s == 1 || s == 6, false, 1 << 20);
      assertThat(some.rest()).isNull();
      for (int s = 0; s < 8; s++) {
        if (s == 1 || s == 6) {
          assertThat(some.structureKernels()[s]).containsExactly(all.structureKernels()[s]);
        } else {
          assertThat(some.structureKernels()[s]).isNull();
        }
      }
    }
  }

  static void assertClose(double[] actual, double[] expected, double relative) {
    double scale = 0;
    for (double v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int e = 0; e < expected.length; e++) {
      assertThat(actual[e]).as("entry %d", e).isCloseTo(expected[e], within(relative * scale));
    }
  }

  /** J Jᵀ from full per-sample gradients flattened in float64: an independent computation. */
  static double[] directKernel(ProbeObjective objective) {
    return directKernelWithout(objective, null);
  }

  /** As {@link #directKernel} with the slices of {@code dropped} zeroed (heads do not overlap). */
  static double[] directKernelWithout(ProbeObjective objective, Structure dropped) {
    MaskedModel model = objective.model();
    int n = objective.size();
    List<double[]> rows = new ArrayList<>();
    for (int b = 0; b < n; b++) {
      Autograd.zeroGradients(model.parameters().arrays());
      try (NDScope scope = new NDScope()) {
        try (Autograd.Mode on = Autograd.recording(true)) {
          Autograd.backward(objective.output(b));
        }
        List<Double> row = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : model.parameters().all().entrySet()) {
          NDArray g = e.getValue().getGradient();
          float[] values = g.toFloatArray();
          long[] dims = g.getShape().getShape();
          for (int i = 0; i < values.length; i++) {
            row.add(inSlices(dropped, e.getKey(), dims, i) ? 0.0 : values[i]);
          }
        }
        rows.add(row.stream().mapToDouble(Double::doubleValue).toArray());
      }
    }
    Autograd.zeroGradients(model.parameters().arrays());
    double[] k = new double[n * n];
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        double dot = 0;
        for (int i = 0; i < rows.get(a).length; i++) {
          dot += rows.get(a)[i] * rows.get(b)[i];
        }
        k[a * n + b] = dot;
      }
    }
    return k;
  }

  private static boolean inSlices(Structure structure, String parameter, long[] dims, int flat) {
    if (structure == null) {
      return false;
    }
    for (Structure.Slice slice : structure.slices()) {
      if (slice.parameter().equals(parameter)) {
        long inner = 1;
        for (int d = slice.axis() + 1; d < dims.length; d++) {
          inner *= dims[d];
        }
        long coordinate = (flat / inner) % dims[slice.axis()];
        if (coordinate >= slice.from() && coordinate < slice.to()) {
          return true;
        }
      }
    }
    return false;
  }
}
