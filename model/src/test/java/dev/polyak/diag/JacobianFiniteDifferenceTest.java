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
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kernel entries against finite differences of the model's outputs: with u = ∇_i f_b (structure i's
 * part of probe b's gradient), (f_a(w + hu) − f_a(w − hu)) / 2h = ∇_i f_a · ∇_i f_b = K_i[a, b].
 */
class JacobianFiniteDifferenceTest {
  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void mlpNeuronKernelMatchesFiniteDifferences() {
    RandomStreams streams = new RandomStreams(8);
    float[][] x = TestObjectives.gaussian(streams.stream("data"), 6, 5);
    int[] y = {0, 1, 2, 0, 1, 2};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(new Mlp.Config(5, new int[] {8}, 3), manager, streams.stream("init"))) {
      checkStructure(TestObjectives.classification(model, x, y), 3);
    }
  }

  @Test
  void bertHeadKernelMatchesFiniteDifferences() {
    RandomStreams streams = new RandomStreams(9);
    int n = 5;
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model =
            new Bert(new Bert.Config(40, 16, 2, 2, 32, 8), manager, streams.stream("init"))) {
      // structure 1: layer0/head1
      checkStructure(
          TestObjectives.randomMlm(model, streams.stream("data"), n, b -> new int[] {3}), 1);
    }
  }

  private static void checkStructure(ProbeObjective objective, int structure) {
    MaskedModel model = objective.model();
    int n = objective.size();
    double[] kernel =
        JacobianKernels.compute(objective, s -> s == structure, false, 1 << 20)
            .structureKernels()[structure];
    Structure s = model.structures().get(structure);
    int active = 0;
    for (int b = 0; b < n; b++) {
      Map<String, NDArray> u = restrictedGradient(objective, b, s);
      double norm = 0;
      for (NDArray d : u.values()) {
        for (float v : d.toFloatArray()) {
          norm += (double) v * v;
        }
      }
      if (norm == 0) { // the structure does not act on probe b (a ReLU unit it leaves off): a zero
        // column
        for (int a = 0; a < n; a++) {
          assertThat(kernel[a * n + b]).isZero();
        }
        continue;
      }
      active++;
      double h = 1e-2 / Math.sqrt(norm);
      for (int a = 0; a < n; a++) {
        double difference =
            (outputAt(objective, a, u, h) - outputAt(objective, a, u, -h)) / (2 * h);
        assertThat(difference)
            .as("K[%d,%d]", a, b)
            .isCloseTo(kernel[a * n + b], within(2e-2 * Math.abs(kernel[b * n + b]) + 1e-6));
      }
      u.values().forEach(NDArray::close);
    }
    assertThat(active).as("probes the structure acts on").isGreaterThanOrEqualTo(n / 2);
  }

  /** ∇f_b with every entry outside the structure's slices zeroed. */
  private static Map<String, NDArray> restrictedGradient(
      ProbeObjective objective, int b, Structure s) {
    MaskedModel model = objective.model();
    Autograd.zeroGradients(model.parameters().arrays());
    try (NDScope scope = new NDScope()) {
      try (Autograd.Mode on = Autograd.recording(true)) {
        Autograd.backward(objective.output(b));
      }
    }
    Map<String, NDArray> u = new LinkedHashMap<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Structure.Slice slice : s.slices()) {
        NDArray p = model.parameters().get(slice.parameter());
        float[] g = p.getGradient().toFloatArray();
        float[] keep = new float[g.length];
        long[] dims = p.getShape().getShape();
        long inner = 1;
        for (int d = slice.axis() + 1; d < dims.length; d++) {
          inner *= dims[d];
        }
        for (int e = 0; e < g.length; e++) {
          long c = (e / inner) % dims[slice.axis()];
          keep[e] = c >= slice.from() && c < slice.to() ? g[e] : 0f;
        }
        NDArray prior = u.get(slice.parameter());
        NDArray part = p.getManager().create(keep, p.getShape());
        NDScope.unregister(part);
        if (prior == null) {
          u.put(slice.parameter(), part);
        } else {
          prior.addi(part);
          part.close();
        }
      }
    }
    Autograd.zeroGradients(model.parameters().arrays());
    return u;
  }

  /** f_a at w + h·u, in float64 from a float32 forward; the weights are put back exactly. */
  private static double outputAt(
      ProbeObjective objective, int a, Map<String, NDArray> u, double h) {
    Map<String, NDArray> params = objective.model().parameters().all();
    Map<String, float[]> saved = new LinkedHashMap<>();
    try (Autograd.Mode off = Autograd.recording(false);
        NDScope scope = new NDScope()) {
      for (Map.Entry<String, NDArray> e : u.entrySet()) {
        NDArray p = params.get(e.getKey());
        saved.put(e.getKey(), p.toFloatArray());
        p.addi(e.getValue().mul((float) h));
      }
      double value = objective.output(a).getFloat();
      saved.forEach((name, values) -> params.get(name).set(values));
      return value;
    }
  }
}
