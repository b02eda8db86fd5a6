package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Magnitude scores against a hand-summed L1 norm, and the structure scaled down scores lowest. */
class MagnitudeTest {
  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void scoresAreTheL1NormOfTheSlicesAndTheScaledDownNeuronIsLowest() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model =
            new Mlp(
                new Mlp.Config(6, new int[] {5, 4}, 3),
                manager,
                new RandomStreams(3).stream("init"))) {
      // neuron 2 of layer 0: column 2 of w0 [6, 5], b0[2], row 2 of w1 [5, 4]; scale it by 0.01
      try (Autograd.Mode off = Autograd.recording(false)) {
        for (Structure.Slice slice : model.structures().get(2).slices()) {
          NDArray p = model.parameters().get(slice.parameter());
          float[] v = p.toFloatArray();
          long[] dims = p.getShape().getShape();
          for (int e = 0; e < v.length; e++) {
            long c = slice.axis() == 0 ? e / (dims.length > 1 ? dims[1] : 1) : e % dims[1];
            if (c >= slice.from() && c < slice.to()) {
              v[e] *= 0.01f;
            }
          }
          p.set(v);
        }
      }
      double[] scores = Magnitude.scores(model);
      float[] w0 = model.parameters().get("w0").toFloatArray();
      float[] b0 = model.parameters().get("b0").toFloatArray();
      float[] w1 = model.parameters().get("w1").toFloatArray();
      for (int j = 0; j < 5; j++) {
        double l1 = Math.abs((double) b0[j]);
        for (int i = 0; i < 6; i++) {
          l1 += Math.abs((double) w0[i * 5 + j]);
        }
        for (int k = 0; k < 4; k++) {
          l1 += Math.abs((double) w1[j * 4 + k]);
        }
        assertThat(scores[j]).as("layer0/neuron%d", j).isCloseTo(l1, within(1e-9 * l1));
      }
      int lowest = 0;
      for (int s = 1; s < 5; s++) {
        lowest = scores[s] < scores[lowest] ? s : lowest;
      }
      assertThat(lowest).isEqualTo(2);
      assertThat(
              KeepTop.select(
                  model.structures().subList(0, 5), java.util.Arrays.copyOf(scores, 5), 4, 1)[2])
          .isFalse();
    }
  }
}
