package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.TestRows;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Scoring contexts for the importance tests: an {@link Mlp} regressed onto targets, its gradient
 * derived by hand in Java doubles (no engine), and checks that scoring left the model as it was.
 */
final class ScoringFixtures {
  private ScoringFixtures() {}

  /** loss(from, to) = mean over samples [from, to) of ½‖f(x_b) − y_b‖². */
  static ProbeObjective regression(MaskedModel model, float[][] x, float[][] y) {
    ProbeObjective.RangeLoss loss =
        (from, to) -> {
          NDArray predicted =
              model.forward(TestRows.rows(model.parameters().manager(), x, from, to));
          return dev.polyak.nn.Scalars.mul(
              predicted
                  .sub(TestRows.rows(model.parameters().manager(), y, from, to))
                  .square()
                  .sum(new int[] {1})
                  .mean(),
              0.5);
        };
    return ProbeObjective.of(model, x.length, probe -> loss.loss(probe, probe + 1), loss);
  }

  /**
   * A 4-6-3 ReLU {@link Mlp} with hidden biases 0.5 (no neuron dead on every sample), regressed
   * from n Gaussian inputs onto n Gaussian targets.
   */
  record MlpRegression(Mlp model, float[][] x, float[][] y, ProbeObjective data) {
    static MlpRegression create(NDManager manager, RandomStreams streams, int n) {
      Mlp model = new Mlp(new Mlp.Config(4, new int[] {6}, 3), manager, streams.stream("init"));
      setRows(model, "b0", 0, 6, 0.5f);
      float[][] x = TestRows.gaussian(streams.stream("x"), n, 4);
      float[][] y = TestRows.gaussian(streams.stream("y"), n, 3);
      return new MlpRegression(model, x, y, regression(model, x, y));
    }

    /** All samples as one input batch. */
    NDArray input() {
      return TestRows.rows(model.parameters().manager(), x, 0, x.length);
    }
  }

  /**
   * What scoring must leave as it was: weights, masks, and the output on {@code input} (so no
   * gate).
   */
  record Snapshot(
      MaskedModel model,
      Map<String, float[]> weights,
      float[][] masks,
      NDArray input,
      float[] output) {
    static Snapshot of(MaskedModel model, NDArray input) {
      Map<String, float[]> weights = new LinkedHashMap<>();
      model.parameters().all().forEach((name, array) -> weights.put(name, array.toFloatArray()));
      float[][] masks = new float[model.masks().layers()][];
      for (int l = 0; l < masks.length; l++) {
        masks[l] = model.masks().layer(l);
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        return new Snapshot(model, weights, masks, input, model.forward(input).toFloatArray());
      }
    }

    /**
     * The same weights bit for bit (array equality compares {@link Float#floatToIntBits}), the same
     * masks, zero gradients, and no gate left set (the output on the input is the one before).
     */
    void assertUnchanged() {
      Snapshot now = of(model, input);
      model
          .parameters()
          .all()
          .forEach(
              (name, array) -> {
                assertThat(now.weights().get(name))
                    .as("weights of %s", name)
                    .isEqualTo(weights.get(name));
                assertThat(array.getGradient().abs().max().getFloat())
                    .as("gradient of %s", name)
                    .isZero();
              });
      assertThat(now.masks()).isDeepEqualTo(masks);
      assertThat(now.output()).isEqualTo(output);
    }
  }

  /** Sets rows [from, to) of a 2-D parameter (or entries of a 1-D one) to {@code value}. */
  static void setRows(MaskedModel model, String parameter, long from, long to, float value) {
    NDArray p = model.parameters().get(parameter);
    float[] values = p.toFloatArray();
    long row = p.getShape().dimension() > 1 ? p.getShape().size() / p.getShape().get(0) : 1;
    for (long e = from * row; e < to * row; e++) {
      values[(int) e] = value;
    }
    try (Autograd.Mode off = Autograd.recording(false)) {
      p.set(values);
    }
  }

  /**
   * A one-hidden-layer ReLU {@link Mlp} (h = relu(x w0 + b0) ⊙ m ⊙ ξ, m the mask, f = h w1 + b1) in
   * Java doubles, with the gradient of the mean ½‖f − y‖² over a range of samples derived by hand.
   */
  static final class HandMlp {
    final double[][] w0;
    final double[] b0;
    final double[][] w1;
    final double[] b1;
    final float[] mask;

    private HandMlp(double[][] w0, double[] b0, double[][] w1, double[] b1, float[] mask) {
      this.w0 = w0;
      this.b0 = b0;
      this.w1 = w1;
      this.b1 = b1;
      this.mask = mask;
    }

    static HandMlp of(Mlp model) {
      return new HandMlp(
          matrix(model, "w0"),
          vector(model, "b0"),
          matrix(model, "w1"),
          vector(model, "b1"),
          model.masks().layer(0));
    }

    /** The gradient of the loss in each parameter and in each hidden neuron's gate ξ (at ξ = 1). */
    record Gradient(double[][] w0, double[] b0, double[][] w1, double[] b1, double[] gate) {
      double squaredNorm() {
        double s = 0;
        for (double[][] m : new double[][][] {w0, w1}) {
          for (double[] row : m) {
            for (double v : row) {
              s += v * v;
            }
          }
        }
        for (double[] v :
            new double[][] {
              b0, b1,
            }) {
          for (double e : v) {
            s += e * e;
          }
        }
        return s;
      }
    }

    Gradient gradient(float[][] x, float[][] y, int from, int to) {
      int inputs = w0.length;
      int hidden = b0.length;
      int outputs = b1.length;
      Gradient g =
          new Gradient(
              new double[inputs][hidden],
              new double[hidden],
              new double[hidden][outputs],
              new double[outputs],
              new double[hidden]);
      double share = 1.0 / (to - from);
      for (int b = from; b < to; b++) {
        double[] z = new double[hidden];
        double[] h = new double[hidden];
        for (int j = 0; j < hidden; j++) {
          z[j] = b0[j];
          for (int i = 0; i < inputs; i++) {
            z[j] += x[b][i] * w0[i][j];
          }
          h[j] = Math.max(0, z[j]) * mask[j];
        }
        double[] error = new double[outputs]; // ∂(½‖f − y‖²)/∂f
        for (int k = 0; k < outputs; k++) {
          double f = b1[k];
          for (int j = 0; j < hidden; j++) {
            f += h[j] * w1[j][k];
          }
          error[k] = f - y[b][k];
          g.b1()[k] += share * error[k];
        }
        for (int j = 0; j < hidden; j++) {
          double dh = 0;
          for (int k = 0; k < outputs; k++) {
            g.w1()[j][k] += share * h[j] * error[k];
            dh += w1[j][k] * error[k];
          }
          g.gate()[j] += share * h[j] * dh; // ∂L/∂ξ_j: h_j ξ_j feeds f, and dL/d(h_j ξ_j) = dh
          double dz = z[j] > 0 ? mask[j] * dh : 0;
          g.b0()[j] += share * dz;
          for (int i = 0; i < inputs; i++) {
            g.w0()[i][j] += share * x[b][i] * dz;
          }
        }
      }
      return g;
    }

    /**
     * This network with hidden neuron j's weights (column j of w0, b0[j], row j of w1) times {@code
     * factor}.
     */
    HandMlp scaledNeuron(int j, double factor) {
      double[][] v0 = deepCopy(w0);
      double[] c0 = b0.clone();
      double[][] v1 = deepCopy(w1);
      for (double[] row : v0) {
        row[j] *= factor;
      }
      c0[j] *= factor;
      for (int k = 0; k < v1[j].length; k++) {
        v1[j][k] *= factor;
      }
      return new HandMlp(v0, c0, v1, b1.clone(), mask);
    }

    private static double[][] deepCopy(double[][] m) {
      double[][] copy = new double[m.length][];
      for (int i = 0; i < m.length; i++) {
        copy[i] = m[i].clone();
      }
      return copy;
    }

    private static double[][] matrix(Mlp model, String name) {
      NDArray p = model.parameters().get(name);
      int columns = (int) p.getShape().get(1);
      float[] flat = p.toFloatArray();
      double[][] m = new double[flat.length / columns][columns];
      for (int e = 0; e < flat.length; e++) {
        m[e / columns][e % columns] = flat[e];
      }
      return m;
    }

    private static double[] vector(Mlp model, String name) {
      float[] flat = model.parameters().get(name).toFloatArray();
      double[] v = new double[flat.length];
      for (int e = 0; e < flat.length; e++) {
        v[e] = flat[e];
      }
      return v;
    }
  }
}
