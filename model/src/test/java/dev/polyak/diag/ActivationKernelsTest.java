package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.MlmModel;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.ResNet56;
import dev.polyak.nn.Structure;
import dev.polyak.nn.Switch;
import dev.polyak.nn.Vgg16;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The activation-based kernels ({@link KernelPath#FACTORED}, {@link ActivationGradients}) against a
 * closed form and against the per-sample path, on every model family the auto path taps or falls
 * back on: an MLP (with a weight-masked layer), BERT (masked and compacted), Switch (experts that
 * some probes do not reach), VGG and ResNet (no tapped layer: per-sample throughout).
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
        assertThat(ActivationGradients.plan(objective).tensors())
            .containsExactly("w0", "b0", "w2", "b2");
        assertSamePaths(objective, KernelPath.AUTO);
        assertFactoredRefuses(objective, "w1");
      }
    }
  }

  /** BERT heads with the pseudo-NTK's scalar, the loss and two projections, at n = 5 and 18. */
  @Test
  void bertHeadKernelsEqualThePerSamplePath() {
    Bert.Config config = new Bert.Config(40, 16, 2, 2, 32, 8);
    for (int n : new int[] {5, 18}) {
      for (KernelKind kind :
          new KernelKind[] {KernelKind.PNTK, KernelKind.LOSS, KernelKind.projected(2)}) {
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
   * The auto path is deterministic: at one engine thread, two computations of a BERT's head and
   * rest kernels (batched passes of two sizes, 18 probes) agree to the bit.
   */
  @Test
  void theAutoPathGivesBitwiseTheSameKernelsTwiceAtOneThread() {
    Bert.Config config = new Bert.Config(40, 16, 2, 2, 32, 8);
    RandomStreams streams = new RandomStreams(44);
    int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(config, manager, streams.stream("init"))) {
      ProbeObjective objective =
          TestObjectives.randomMlm(model, streams.stream("data"), 18, b -> new int[] {1, 6});
      JacobianKernels.Kernels first =
          JacobianKernels.compute(
              objective, s -> true, true, JacobianKernels.DEFAULT_MEMORY_BUDGET, KernelPath.AUTO);
      JacobianKernels.Kernels second =
          JacobianKernels.compute(
              objective, s -> true, true, JacobianKernels.DEFAULT_MEMORY_BUDGET, KernelPath.AUTO);
      assertThat(second.structureKernels()).isDeepEqualTo(first.structureKernels());
      assertThat(second.rest()).isEqualTo(first.rest());
    } finally {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }
  }

  /**
   * A compacted BERT (three of eight heads pruned and sliced out of Q, K, V and the output
   * projection): the tapped layers' shrunken tensors give the per-sample kernels, the pruned heads'
   * zero ones included.
   */
  @Test
  void compactedBertKernelsEqualThePerSamplePath() {
    Bert.Config config = new Bert.Config(40, 16, 2, 4, 32, 8);
    RandomStreams streams = new RandomStreams(47);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(config, manager, streams.stream("init"))) {
      model.masks().set(0, 1, false);
      model.masks().set(1, 0, false);
      model.masks().set(1, 2, false);
      model.compact(model.compaction().without(model.masks(), l -> true));
      assertThat(model.parameters().get("layer1.attention.query.weight").getShape())
          .isEqualTo(new Shape(16, 8));
      ProbeObjective objective =
          TestObjectives.randomMlm(
              model,
              streams.stream("data"),
              11,
              b -> b % 3 == 0 ? new int[] {6} : new int[] {0, 4});
      assertThat(ActivationGradients.plan(objective).tensors())
          .contains("layer1.attention.query.weight", "layer1.attention.output.weight");
      assertSamePaths(objective, KernelPath.AUTO);
      assertSamePaths(objective, KernelPath.FACTORED);
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
        assertThat(unreached(model, objective))
            .as("some probe routes no token to some expert of layer 0 that another probe reaches")
            .isTrue();
        assertFactoredRefuses(objective, "router");
        // layer 1's experts all masked: no probe reaches any of them, nor layer 1's router
        for (int e = 0; e < config.experts(); e++) {
          model.masks().set(model.expertGroup(1), e, false);
        }
        assertSamePaths(objective, KernelPath.AUTO);
        assertFactoredRefuses(objective, "router");
      }
    }
  }

  /**
   * VGG and ResNet: the tap sees no layer, so auto is the per-sample path, to the bit; factored
   * refuses the first convolution filter, naming it.
   */
  @Test
  void convolutionNetsUnderAutoAreThePerSamplePath() {
    RandomStreams streams = new RandomStreams(60);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), 3, 3 * 32 * 32);
    int[] y = {4, 0, 7};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 vgg =
            new Vgg16(
                Vgg16.Config.reduced(10, 16),
                manager,
                streams.stream(RandomStreams.INIT),
                streams.stream(RandomStreams.DROPOUT));
        ResNet56 resNet = new ResNet56(new ResNet56.Config(1, 10), manager, streams.stream("r"))) {
      for (MaskedModel model : List.<MaskedModel>of(vgg, resNet)) {
        model.masks().set(1, 0, false);
        ProbeObjective objective = TestObjectives.classification(model, x, y, new Shape(3, 32, 32));
        assertThat(ActivationGradients.plan(objective).tensors()).isEmpty();
        JacobianKernels.Kernels perSample =
            JacobianKernels.compute(
                objective,
                s -> true,
                true,
                JacobianKernels.DEFAULT_MEMORY_BUDGET,
                KernelPath.PER_SAMPLE);
        JacobianKernels.Kernels auto =
            JacobianKernels.compute(
                objective, s -> true, true, JacobianKernels.DEFAULT_MEMORY_BUDGET, KernelPath.AUTO);
        assertThat(auto.structureKernels()).isDeepEqualTo(perSample.structureKernels());
        assertThat(auto.rest()).isEqualTo(perSample.rest());
        assertThat(auto.structureParameters()).isEqualTo(perSample.structureParameters());
        Structure first = model.structures().get(0);
        assertThat(first.kind()).isEqualTo(Structure.Kind.FILTER);
        assertFactoredRefuses(
            objective, "kernel_path factored", first.id(), first.slices().get(0).parameter());
      }
    }
  }

  /**
   * Whether some expert of layer 0 runs (its input layer is seen by the tap) for one probe, at
   * batch one, and not for another: the expert's gradient columns are then zero for the second.
   */
  private static boolean unreached(Switch model, ProbeObjective objective) {
    List<java.util.Set<String>> reached = new java.util.ArrayList<>();
    for (int b = 0; b < objective.size(); b++) {
      java.util.Set<String> layers = new java.util.HashSet<>();
      model
          .parameters()
          .setLinearTap(
              (weight, bias, input, output) -> {
                layers.add(weight);
                return output;
              });
      try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope();
          Autograd.Mode off = Autograd.recording(false)) {
        objective.output(b, 0);
      } finally {
        model.parameters().setLinearTap(null);
      }
      reached.add(layers);
    }
    for (int e = 0; e < model.config().experts(); e++) {
      String in = "layer0.ffn.expert" + e + ".in.weight";
      if (reached.stream().anyMatch(r -> r.contains(in))
          && reached.stream().anyMatch(r -> !r.contains(in))) {
        return true;
      }
    }
    return false;
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
    for (long budget :
        new long[] {JacobianKernels.DEFAULT_MEMORY_BUDGET, 4L * objective.size() * 300}) {
      JacobianKernels.Kernels perSample =
          JacobianKernels.compute(objective, s -> true, true, budget, KernelPath.PER_SAMPLE);
      JacobianKernels.Kernels other =
          JacobianKernels.compute(objective, s -> true, true, budget, path);
      assertThat(other.structureParameters()).isEqualTo(perSample.structureParameters());
      assertThat(other.restParameters()).isEqualTo(perSample.restParameters());
      for (int s = 0; s < perSample.structureKernels().length; s++) {
        assertFrobenius(
            other.structureKernels()[s], perSample.structureKernels()[s], "structure " + s);
      }
      assertFrobenius(other.rest(), perSample.rest(), "rest");
    }
  }

  /** {@link KernelPath#FACTORED} refuses the objective's model with a message holding each part. */
  private static void assertFactoredRefuses(ProbeObjective objective, String... parts) {
    assertThatThrownBy(
            () ->
                JacobianKernels.compute(objective, s -> true, false, 1 << 20, KernelPath.FACTORED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContainingAll(parts);
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
