package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * A masked neuron contributes exactly zero to the output and its parameters get exactly zero
 * gradient.
 */
class MlpMaskTest {
  private static final Mlp.Config CONFIG = new Mlp.Config(4, new int[] {6, 5}, 3);

  private static float[] column(float[] matrix, int columns, int column) {
    float[] out = new float[matrix.length / columns];
    for (int r = 0; r < out.length; r++) {
      out[r] = matrix[r * columns + column];
    }
    return out;
  }

  private static float[] row(float[] matrix, int columns, int row) {
    return java.util.Arrays.copyOfRange(matrix, row * columns, (row + 1) * columns);
  }

  @Test
  void maskedNeuronsHaveZeroGradientAndNoInfluence() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(CONFIG, manager, new RandomStreams(3).stream("init"))) {
      model.masks().set(0, 2, false);
      model.masks().set(1, 4, false);
      float[] inputs = new float[8 * 4];
      new RandomStreams(3).stream("data").fillGaussian(inputs, 1f);
      NDArray x = manager.create(inputs, new Shape(8, 4));

      float[] before;
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray logits = model.forward(x);
        before = logits.toFloatArray();
        Autograd.backward(logits.square().sum());
      }
      Parameters p = model.parameters();
      float[] gw0 = p.get("w0").getGradient().toFloatArray();
      float[] gb0 = p.get("b0").getGradient().toFloatArray();
      float[] gw1 = p.get("w1").getGradient().toFloatArray();
      float[] gb1 = p.get("b1").getGradient().toFloatArray();
      float[] gw2 = p.get("w2").getGradient().toFloatArray();
      assertThat(column(gw0, 6, 2)).containsOnly(0f);
      assertThat(gb0[2]).isZero();
      assertThat(row(gw1, 5, 2)).containsOnly(0f);
      assertThat(column(gw1, 5, 4)).containsOnly(0f);
      assertThat(gb1[4]).isZero();
      assertThat(row(gw2, 3, 4)).containsOnly(0f);
      // Kept neurons do learn.
      assertThat(column(gw0, 6, 0)).isNotEqualTo(new float[4]);
      assertThat(row(gw2, 3, 0)).isNotEqualTo(new float[3]);

      // Changing a masked neuron's parameters does not change the output, to the bit.
      try (Autograd.Mode off = Autograd.recording(false)) {
        p.get("w0").set(new ai.djl.ndarray.index.NDIndex(":, 2"), 7f);
        p.get("b0").set(new ai.djl.ndarray.index.NDIndex("2"), -3f);
        p.get("w2").set(new ai.djl.ndarray.index.NDIndex("4, :"), 11f);
        assertThat(model.forward(x).toFloatArray()).isEqualTo(before);
        model.masks().set(0, 2, true);
        assertThat(model.forward(x).toFloatArray()).isNotEqualTo(before);
      }
    }
  }

  @Test
  void keptParametersAndFlopsFollowTheMasks() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(CONFIG, manager, new RandomStreams(1).stream("init"))) {
      // 4*6+6 + 6*5+5 + 5*3+3 = 83
      assertThat(model.keptParameters()).isEqualTo(83).isEqualTo(model.parameters().count());
      assertThat(model.flopsPerSample()).isEqualTo(2 * (24 + 30 + 15));
      assertThat(model.structures()).hasSize(11);
      model.masks().set(0, 0, false);
      model.masks().set(1, 1, false);
      // 4*5+5 + 5*4+4 + 4*3+3 = 64
      assertThat(model.keptParameters()).isEqualTo(64);
      assertThat(model.flopsPerSample()).isEqualTo(2 * (20 + 20 + 12));
    }
  }
}
