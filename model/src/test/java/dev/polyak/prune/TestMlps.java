package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStream;
import dev.polyak.testing.TestRows;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One-hidden-layer MLPs with one output and hand-set weights, a regression objective on them, and a
 * snapshot that checks a scoring method left the model as it found it.
 */
final class TestMlps {
  private TestMlps() {}

  /**
   * An MLP inputs → hidden → 1 with weights w0 [inputs, hidden], b0 [hidden], w1 [hidden, 1] and b1
   * = 0.
   */
  static Mlp mlp(
      NDManager manager, int inputs, float[] w0, float[] b0, float[] w1, RandomStream init) {
    Mlp model = new Mlp(new Mlp.Config(inputs, new int[] {b0.length}, 1), manager, init);
    try (Autograd.Mode off = Autograd.recording(false)) {
      model.parameters().get("w0").set(w0);
      model.parameters().get("b0").set(b0);
      model.parameters().get("w1").set(w1);
    }
    return model;
  }

  /** f_b = the model's output on row b of x; loss = mean of ½ (f_b − y_b)². */
  static ProbeObjective regression(MaskedModel model, float[][] x, float[] y) {
    return ProbeObjective.of(
        model,
        x.length,
        b -> model.forward(rows(model, x, b, b + 1)).reshape(new Shape()),
        (from, to) -> {
          float[] targets = java.util.Arrays.copyOfRange(y, from, to);
          NDArray t = model.parameters().manager().create(targets, new Shape(to - from, 1));
          return dev.polyak.nn.Scalars.mul(
              model.forward(rows(model, x, from, to)).sub(t).square().mean(), 0.5);
        });
  }

  /** The model's outputs on every row of x, without recording. */
  static float[] outputs(MaskedModel model, float[][] x) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      return model.forward(rows(model, x, 0, x.length)).toFloatArray();
    }
  }

  static NDArray rows(MaskedModel model, float[][] x, int from, int to) {
    return TestRows.rows(model.parameters().manager(), x, from, to);
  }

  /** The weights, masks and outputs of a model, to compare after a scoring method ran. */
  record Snapshot(Map<String, float[]> weights, List<float[]> masks, float[] outputs) {
    static Snapshot of(MaskedModel model, float[][] x) {
      Map<String, float[]> weights = new LinkedHashMap<>();
      model.parameters().state().forEach((name, array) -> weights.put(name, array.toFloatArray()));
      List<float[]> masks = new ArrayList<>();
      for (int l = 0; l < model.masks().layers(); l++) {
        masks.add(model.masks().layer(l));
      }
      return new Snapshot(weights, masks, TestMlps.outputs(model, x));
    }

    /**
     * Bitwise the same weights and masks, zero gradients, and the same outputs (so no gate is left
     * set).
     */
    void assertUnchanged(MaskedModel model, float[][] x) {
      Snapshot now = of(model, x);
      weights.forEach(
          (name, values) -> assertThat(now.weights.get(name)).as(name).containsExactly(values));
      for (int l = 0; l < masks.size(); l++) {
        assertThat(now.masks.get(l)).as("mask of layer %d", l).containsExactly(masks.get(l));
      }
      assertThat(now.outputs).as("outputs").containsExactly(outputs);
      for (NDArray p : model.parameters().arrays()) {
        if (p.hasGradient()) {
          assertThat(p.getGradient().abs().max().getFloat())
              .as("gradient of %s", p.getName())
              .isZero();
        }
      }
    }
  }
}
