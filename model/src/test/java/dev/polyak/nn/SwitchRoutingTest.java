package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Top-1 routing against a hand-built router: which expert each token goes to, which tokens the
 * capacity drops, what each routed token gets back, and the load-balancing loss, all worked out by
 * hand.
 */
class SwitchRoutingTest {
  /** hidden 4 = experts 4, capacity factor 1: capacity ceil(8 tokens / 4) = 2. */
  private static final Switch.Config CONFIG = new Switch.Config(10, 4, 1, 2, 8, 8, 4, 1.0, 0.01);

  @Test
  void tokensGoToTheirLargestLogitAndOverflowIsDropped() {
    Autograd.ensureEngine();
    // Token t is c_t times unit vector k_t; with the identity router its logits are c_t e_{k_t}.
    int[] k = {1, 0, 0, 2, 0, 1, 3, 0};
    float[] c = {2, 1, 3, 1, 2, 1, 1, 0}; // token 7 is zero: a four-way tie, which goes to expert 0
    float[] x = new float[8 * 4];
    for (int t = 0; t < 8; t++) {
      x[t * 4 + k[t]] = c[t];
    }
    float[] identity = new float[16];
    for (int e = 0; e < 4; e++) {
      identity[e * 4 + e] = 1f;
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(8).stream("init"));
        Autograd.Mode off = Autograd.recording(false)) {
      model.parameters().get("layer0.ffn.router.weight").set(identity);
      NDArray tokens = manager.create(x, new Shape(8, 4));

      Switch.Routing routing = model.route(tokens, 0);

      // Expert 0 is chosen by tokens 1, 2, 4, 7: the first two fit, 4 and 7 are dropped.
      int d = Switch.DROPPED;
      assertThat(routing.experts()).containsExactly(1, 0, 0, 2, d, 1, 3, d);
      float[] output = routing.output().toFloatArray();
      for (int t = 0; t < 8; t++) {
        NDArray row = tokens.get(new NDIndex("{}:{}", t, t + 1));
        float[] expected = new float[4];
        if (routing.experts()[t] != d) {
          double p = Math.exp(c[t]) / (Math.exp(c[t]) + 3); // softmax of (c, 0, 0, 0)
          expected =
              Bert.feedForward(model.parameters(), row, "layer0.ffn.expert" + k[t])
                  .mul((float) p)
                  .toFloatArray();
          assertThat(expected).as("token %d", t).isNotEqualTo(new float[4]);
        }
        for (int i = 0; i < 4; i++) {
          assertThat(output[t * 4 + i])
              .as("token %d unit %d", t, i)
              .isCloseTo(expected[i], Offset.offset(1e-6f));
        }
      }

      // f = (4, 2, 1, 1) / 8 by argmax, before the capacity cut; P_e the mean of the softmax rows.
      double[] f = {4 / 8.0, 2 / 8.0, 1 / 8.0, 1 / 8.0};
      double[] meanProbability = new double[4];
      for (int t = 0; t < 8; t++) {
        for (int e = 0; e < 4; e++) {
          double z = Math.exp(c[t]) + 3;
          meanProbability[e] += (e == k[t] ? Math.exp(c[t]) / z : 1 / z) / 8;
        }
      }
      double expected = 0;
      for (int e = 0; e < 4; e++) {
        expected += 4 * f[e] * meanProbability[e];
      }
      assertThat((double) routing.loadBalancingLoss().getFloat())
          .isCloseTo(expected, Offset.offset(1e-6));
    }
  }

  @Test
  void capacityIsTheCeilingOfTheFactorTimesAnEvenShare() {
    assertThat(Switch.capacity(1.5, 16, 4)).isEqualTo(6);
    assertThat(Switch.capacity(1.5, 10, 4)).isEqualTo(4); // 3.75
    assertThat(Switch.capacity(1.0, 9, 4)).isEqualTo(3); // 2.25
    assertThat(Switch.capacity(1.1, 10, 1))
        .isEqualTo(11); // 1.1 * 10 is 11.000000000000002 in doubles
    assertThat(Switch.capacity(1.5, 16, 3)).isEqualTo(8);
  }
}
