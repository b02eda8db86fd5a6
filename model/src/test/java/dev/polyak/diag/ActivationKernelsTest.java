package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.MlmModel;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Switch;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The activation-based kernels ({@link KernelPath#FACTORED}, {@link ActivationGradients}) against a
 * closed form and against the per-sample path, on every model family whose structures are linear
 * layers' slices.
 */
class ActivationKernelsTest {
  private static final double RELATIVE = 1e-6;

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  /**
   * One hidden ReLU layer, f = relu(x W0 + b0) W1 + b1 with one output, two samples: neuron j's
   * gradient is (x · W1[j] · 1[z_j > 0], W1[j] · 1[z_j > 0], h_j) for (W0[:, j], b0[j], W1[j]), so
   * K_j[a, b] = (x_a · x_b + 1) W1[j]² 1_a 1_b + h_{a,j} h_{b,j}, from the weights alone.
   */
  @Test
  void oneHiddenLayerKernelsMatchTheClosedForm() {
    RandomStreams streams = new RandomStreams(21);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), 2, 3);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(new Mlp.Config(3, new int[] {4}, 1), manager, streams.stream("init"))) {
      float[] w0 = model.parameters().get("w0").toFloatArray(); // [3, 4]
      float[] w1 = model.parameters().get("w1").toFloatArray(); // [4, 1]
      JacobianKernels.Kernels k =
          JacobianKernels.compute(
              TestObjectives.regression(model, x),
              s -> true,
              false,
              JacobianKernels.DEFAULT_MEMORY_BUDGET,
              KernelPath.FACTORED);
      for (int j = 0; j < 4; j++) {
        double[] h = new double[2];
        for (int a = 0; a < 2; a++) {
          double z = 0; // b0 is zero at initialisation
          for (int i = 0; i < 3; i++) {
            z += (double) x[a][i] * w0[i * 4 + j];
          }
          h[a] = Math.max(0, z);
        }
        for (int a = 0; a < 2; a++) {
          for (int b = 0; b < 2; b++) {
            double dot = 1;
            for (int i = 0; i < 3; i++) {
              dot += (double) x[a][i] * x[b][i];
            }
            double active = (h[a] > 0 ? 1 : 0) * (h[b] > 0 ? 1 : 0);
            double expected = dot * w1[j] * w1[j] * active + h[a] * h[b];
            assertThat(k.structureKernels()[j][a * 2 + b])
                .as("neuron %d, entry (%d, %d)", j, a, b)
                .isCloseTo(expected, within(1e-5 * (1 + Math.abs(expected))));
          }
        }
        assertThat(k.structureParameters()[j]).isEqualTo(3 + 1 + 1);
      }
    }
  }

  /** MLP neurons at n = 3, 12 and 20 (two batches), with one hidden layer weight-masked. */
  @Test
  void mlpKernelsEqualThePerSamplePath() {
    for (int n : new int[] {3, 12, 20}) {
      RandomStreams streams = new RandomStreams(30 + n);
      float[][] x = TestObjectives.gaussian(streams.stream("data"), n, 6);
      int[] y = new int[n];
      for (int b = 0; b < n; b++) {
        y[b] = b % 3;
      }
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          Mlp model =
              new Mlp(new Mlp.Config(6, new int[] {7, 5}, 3), manager, streams.stream("init"))) {
        model.masks().set(1, 2, false);
        ProbeObjective objective = TestObjectives.classification(model, x, y);
        assertSamePaths(objective, KernelPath.FACTORED);
        // a weight-masked layer is not tapped: auto computes it per sample, factored refuses
        boolean[] keep = new boolean[7 * 5];
        java.util.Arrays.fill(keep, true);
        keep[3] = false;
        model.weightMasks().set("w1", keep);
        assertSamePaths(objective, KernelPath.AUTO);
        assertThatThrownBy(
                () ->
                    JacobianKernels.compute(
                        objective, s -> true, false, 1 << 20, KernelPath.FACTORED))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("w1");
      }
    }
  }

  /** BERT heads with the pseudo-NTK's scalar, the loss and two projections, at n = 5 and 18. */
  @Test
  void bertHeadKernelsEqualThePerSamplePath() {
    Bert.Config config = new Bert.Config(40, 16, 2, 2, 32, 8);
    for (int n : new int[] {5, 18}) {
      for (KernelKind kind : new KernelKind[] {KernelKind.PNTK, KernelKind.LOSS, KernelKind.projected(2)}) {
        RandomStreams streams = new RandomStreams(40 + n);
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
            Bert model = new Bert(config, manager, streams.stream("init"));
            LogitScalars scalars = scalars(kind, model, manager, streams)) {
          model.masks().set(1, 0, false);
          ProbeObjective objective =
              TestObjectives.randomMlm(
                  model,
                  streams.stream("data"),
                  n,
                  b -> b % 4 == 3 ? new int[] {2} : new int[] {1 + b % 3, 5},
                  scalars,
                  true);
          assertSamePaths(objective, KernelPath.FACTORED);
        }
      }
    }
  }

  /**
   * Switch: heads and expert FFNs from activations one probe at a time (its capacity depends on the
   * batch; an expert's rows are the tokens routed to it), the router per sample; an expert owns a
   * router column, so factored refuses it.
   */
  @Test
  void switchHeadKernelsEqualThePerSamplePath() {
    Switch.Config config = new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.5, 0.01);
    for (int n : new int[] {4, 9}) {
      RandomStreams streams = new RandomStreams(50 + n);
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          Switch model = new Switch(config, manager, streams.stream("init"));
          LogitScalars scalars = scalars(KernelKind.PNTK, model, manager, streams)) {
        ProbeObjective objective =
            TestObjectives.randomMlm(
                model, streams.stream("data"), n, b -> new int[] {1 + b % 5}, scalars, false);
        assertSamePaths(objective, KernelPath.AUTO);
        assertThatThrownBy(
                () ->
                    JacobianKernels.compute(
                        objective, s -> true, false, 1 << 20, KernelPath.FACTORED))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("router");
      }
    }
  }

  private static LogitScalars scalars(
      KernelKind kind, MlmModel model, NDManager manager, RandomStreams streams) {
    return kind.output() == ScalarOutput.LOSS
        ? null
        : new LogitScalars(kind, model.vocabSize(), streams.stream("projections"), manager);
  }

  /**
   * Every structure's kernel, the rest's and the parameter counts by {@code path} equal the
   * per-sample path's to {@link #RELATIVE} in Frobenius norm, with a budget small enough for
   * several passes of each kind; the activation path must have filled some parameter.
   */
  private static void assertSamePaths(ProbeObjective objective, KernelPath path) {
    assertThat(ActivationGradients.plan(objective).tensors()).isNotEmpty();
    for (long budget : new long[] {JacobianKernels.DEFAULT_MEMORY_BUDGET, 4L * objective.size() * 300}) {
      JacobianKernels.Kernels perSample =
          JacobianKernels.compute(objective, s -> true, true, budget, KernelPath.PER_SAMPLE);
      JacobianKernels.Kernels other = JacobianKernels.compute(objective, s -> true, true, budget, path);
      assertThat(other.structureParameters()).isEqualTo(perSample.structureParameters());
      assertThat(other.restParameters()).isEqualTo(perSample.restParameters());
      for (int s = 0; s < perSample.structureKernels().length; s++) {
        assertFrobenius(other.structureKernels()[s], perSample.structureKernels()[s], "structure " + s);
      }
      assertFrobenius(other.rest(), perSample.rest(), "rest");
    }
  }

  static void assertFrobenius(double[] actual, double[] expected, String what) {
    double difference = 0;
    double norm = 0;
    for (int e = 0; e < expected.length; e++) {
      difference += (actual[e] - expected[e]) * (actual[e] - expected[e]);
      norm += expected[e] * expected[e];
    }
    assertThat(Math.sqrt(difference))
        .as("%s: ‖K − K_per-sample‖_F against ‖K_per-sample‖_F = %s", what, Math.sqrt(norm))
        .isLessThanOrEqualTo(RELATIVE * Math.sqrt(norm));
  }
}
