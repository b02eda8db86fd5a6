package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SGD's one-pass step against its engine-operation step: bitwise equal weights, velocities and
 * zeroed gradients over several steps, with and without weight decay (the first step, which creates
 * the velocity, is the engine's in both).
 *
 * <p>AdamW's one-pass step ({@code fused}) against the same step made of the engine's element-wise
 * operations, the second implementation: over several steps, with weight decay and without, both
 * moments must be bitwise equal and the gradients zero; the weights within two ulps plus 1e-9 per
 * step (the engine's square root is not correctly rounded, Java's is: a last-bit difference in an
 * update of at most lr = 5e-3 is below 1e-9, and later steps carry it). And against {@code
 * torch.optim.AdamW}'s closed form for one scalar, computed here in double.
 */
class OptimizerStepTest {
  private static final List<Shape> SHAPES =
      List.of(new Shape(37, 19), new Shape(5), new Shape(3, 4, 5), new Shape(1), new Shape(1000));

  @Test
  void adamWsOnePassStepIsTheEnginesStep() {
    Autograd.ensureEngine();
    for (float decay : new float[] {0.01f, 0f}) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          Parameters fusedParameters = parameters(manager);
          Parameters engineParameters = parameters(manager);
          AdamW fused = new AdamW(manager, 0.9f, 0.999f, 1e-8f, decay, true);
          AdamW engine = new AdamW(manager, 0.9f, 0.999f, 1e-8f, decay, false)) {
        RandomStream gradients = new RandomStreams(3).stream("gradients");
        for (int step = 0; step < 5; step++) {
          setSameGradients(fusedParameters, engineParameters, gradients, step == 2 ? 1e-6f : 0.5f);
          float lr = 1e-3f * (step + 1);
          fused.step(fusedParameters, lr);
          engine.step(engineParameters, lr);
          for (String name : fusedParameters.all().keySet()) {
            NDArray a = fusedParameters.get(name);
            NDArray b = engineParameters.get(name);
            float[] onePass = a.toFloatArray();
            float[] byOperations = b.toFloatArray();
            for (int i = 0; i < onePass.length; i++) {
              assertThat(onePass[i])
                  .as("%s[%d] after step %d", name, i, step)
                  .isCloseTo(
                      byOperations[i], within(2 * Math.ulp(byOperations[i]) + 1e-9f * (step + 1)));
            }
            assertThat(a.getGradient().toFloatArray()).as("%s's gradient", name).containsOnly(0f);
          }
          assertSameState(fused, engine);
        }
      }
    }
  }

  @Test
  void sgdsOnePassStepIsBitwiseTheEnginesStep() {
    Autograd.ensureEngine();
    for (float decay : new float[] {5e-4f, 0f}) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          Parameters fusedParameters = parameters(manager);
          Parameters engineParameters = parameters(manager);
          Sgd fused = new Sgd(manager, 0.9f, decay, true);
          Sgd engine = new Sgd(manager, 0.9f, decay, false)) {
        RandomStream gradients = new RandomStreams(4).stream("gradients");
        for (int step = 0; step < 4; step++) {
          setSameGradients(fusedParameters, engineParameters, gradients, 0.5f);
          fused.step(fusedParameters, 0.1f / (step + 1));
          engine.step(engineParameters, 0.1f / (step + 1));
          for (String name : fusedParameters.all().keySet()) {
            NDArray a = fusedParameters.get(name);
            assertThat(a.toFloatArray())
                .as("%s after step %d", name, step)
                .isEqualTo(engineParameters.get(name).toFloatArray());
            assertThat(a.getGradient().toFloatArray()).as("%s's gradient", name).containsOnly(0f);
          }
          assertSameState(fused, engine);
        }
      }
    }
  }

  @Test
  void aScalarFollowsTorchAdamWsClosedForm() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Parameters parameters = new Parameters(manager);
        AdamW adam = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0.1f, true)) {
      NDArray w = parameters.add("w", new float[] {2f}, new Shape(1));
      double weight = 2;
      double m = 0;
      double v = 0;
      double[] grads = {0.5, -1.5, 0.25};
      for (int t = 1; t <= grads.length; t++) {
        setGradient(w, new float[] {(float) grads[t - 1]});
        adam.step(parameters, 0.01f);
        m = 0.9 * m + 0.1 * grads[t - 1];
        v = 0.999 * v + 0.001 * grads[t - 1] * grads[t - 1];
        double mHat = m / (1 - Math.pow(0.9, t));
        double vHat = v / (1 - Math.pow(0.999, t));
        weight = weight * (1 - 0.01 * 0.1) - 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
        assertThat((double) w.toFloatArray()[0]).as("step %d", t).isCloseTo(weight, within(1e-6));
      }
    }
  }

  @Test
  void onlyADenseContiguousCpuFloatTensorSharesItsMemory() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
      java.nio.FloatBuffer view = SharedFloats.of(a);
      assertThat(view).isNotNull();
      view.put(4, 50f);
      assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4, 50, 6);
      assertThat(SharedFloats.of(a.transpose())).as("a transposed view").isNull();
      assertThat(SharedFloats.of(a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false))).isNull();
    }
  }

  /** The same Gaussian gradients of scale {@code std} on both sets' parameters. */
  private static void setSameGradients(
      Parameters a, Parameters b, RandomStream gradients, float std) {
    for (Map.Entry<String, NDArray> e : a.all().entrySet()) {
      float[] g = new float[(int) e.getValue().size()];
      gradients.fillGaussian(g, std);
      setGradient(e.getValue(), g);
      setGradient(b.get(e.getKey()), g);
    }
  }

  /** The two optimizers' states (moments, velocities, step count) are bitwise equal. */
  private static void assertSameState(Optimizer fused, Optimizer engine) {
    Map<String, float[]> fs = fused.state();
    Map<String, float[]> es = engine.state();
    assertThat(fs.keySet()).isEqualTo(es.keySet());
    for (String k : fs.keySet()) {
      assertThat(fs.get(k)).as(k).isEqualTo(es.get(k));
    }
  }

  private static Parameters parameters(NDManager manager) {
    Parameters p = new Parameters(manager);
    RandomStream init = new RandomStreams(9).stream("init");
    for (int k = 0; k < SHAPES.size(); k++) {
      float[] values = new float[(int) SHAPES.get(k).size()];
      init.fillGaussian(values, 1f);
      p.add("p" + k, values, SHAPES.get(k));
    }
    return p;
  }

  /** Sets {@code w}'s gradient to {@code values} through a backward pass of Σ w ⊙ values. */
  private static void setGradient(NDArray w, float[] values) {
    Autograd.zeroGradient(w);
    try (NDManager m = w.getManager().newSubManager()) {
      NDArray c = m.create(values, w.getShape());
      try (Autograd.Mode on = Autograd.recording(true)) {
        Autograd.backward(w.mul(c).sum());
      }
    }
  }
}
