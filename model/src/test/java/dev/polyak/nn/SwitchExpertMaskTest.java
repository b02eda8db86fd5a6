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
 * A masked expert is removed: it receives no token, its FFN and router column get exactly zero
 * gradient (from the MLM output and the load-balancing loss), changing its weights changes nothing,
 * and the model computes what a model built without it computes. A masked head likewise gets zero
 * gradient, as in Bert.
 */
class SwitchExpertMaskTest {
  private static final Switch.Config CONFIG = new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.5, 1.0);

  private static NDArray ids(NDManager manager) {
    int[] tokens = new int[2 * 8];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = 3 + (i * 7) % 37;
    }
    return manager.create(tokens, new Shape(2, 8));
  }

  /**
   * Larger router weights than 0.02, so that routing is far from uniform and every kept expert gets
   * tokens.
   */
  private static void sharpenRouters(Switch model) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int l = 0; l < CONFIG.layers(); l++) {
        model.parameters().get("layer" + l + ".ffn.router.weight").muli(100f);
      }
    }
  }

  private static NDArray slice(NDArray array, Structure.Slice slice) {
    return slice.axis() == 0
        ? array.get(new NDIndex("{}:{}", slice.from(), slice.to()))
        : array.get(new NDIndex(":, {}:{}", slice.from(), slice.to()));
  }

  private static Structure structure(Switch model, String id) {
    return model.structures().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void maskedExpertGetsNoTokenAndZeroGradientAndItsWeightsDoNotMatter() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(6).stream("init"))) {
      sharpenRouters(model);
      model.masks().set(model.expertGroup(1), 2, false);
      model.masks().set(0, 1, false);
      NDArray ids = ids(manager);
      float[] before;
      try (Autograd.Mode on = Autograd.recording(true)) {
        MlmModel.Encoding encoding = model.encodeForTraining(ids);
        NDArray logits = model.mlmLogits(encoding.hidden());
        before = logits.toFloatArray();
        Autograd.backward(logits.square().mean().add(encoding.auxiliaryLoss()));
      }
      Parameters p = model.parameters();
      for (String id : new String[] {"layer1/expert2", "layer0/head1"}) {
        Structure masked = structure(model, id);
        for (Structure.Slice s : masked.slices()) {
          assertThat(slice(p.get(s.parameter()).getGradient(), s).toFloatArray())
              .as(id + " " + s)
              .containsOnly(0f);
        }
      }
      assertThat(structure(model, "layer1/expert2").slices()).hasSize(5);
      // Every kept expert of layer 1 and its router column do get gradient.
      for (int e : new int[] {0, 1, 3}) {
        for (Structure.Slice s : structure(model, "layer1/expert" + e).slices()) {
          assertThat(slice(p.get(s.parameter()).getGradient(), s).abs().sum().getFloat())
              .as("expert %d %s", e, s)
              .isGreaterThan(0f);
        }
      }

      try (Autograd.Mode off = Autograd.recording(false)) {
        // Every head is kept: no head factor.
        NDArray layer1 =
            Bert.attention(
                p,
                null,
                CONFIG.encoder(),
                Bert.attention(p, null, CONFIG.encoder(), Bert.embed(p, CONFIG.encoder(), ids), 0),
                1);
        // (Layer 0's experts are skipped here: routing in layer 1 only needs some input of the
        // right shape.)
        Switch.Routing routing = model.route(layer1.reshape(16, 16), 1);
        assertThat(routing.experts()).doesNotContain(2).contains(0, 1, 3);

        p.get("layer1.ffn.expert2.in.weight").muli(7f);
        p.get("layer1.ffn.expert2.out.bias").addi(3f);
        p.get("layer1.ffn.router.weight").set(new NDIndex(":, 2"), 50f);
        p.get("layer0.attention.value.bias").set(new NDIndex("4:8"), -2f);
        assertThat(model.forward(ids).toFloatArray()).isEqualTo(before);
        model.masks().set(model.expertGroup(1), 2, true);
        assertThat(model.forward(ids).toFloatArray()).isNotEqualTo(before);
      }
    }
  }

  @Test
  void maskingAnExpertEqualsBuildingTheModelWithoutIt() {
    Autograd.ensureEngine();
    Switch.Config three = new Switch.Config(40, 16, 2, 4, 24, 8, 3, 1.5, 1.0);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch four = new Switch(CONFIG, manager, new RandomStreams(6).stream("init"));
        Switch smaller = new Switch(three, manager, new RandomStreams(7).stream("init"));
        Autograd.Mode off = Autograd.recording(false)) {
      sharpenRouters(four);
      // Remove expert 1 of layer 0 and expert 3 of layer 1; the smaller model holds the others,
      // renumbered.
      int[][] keptExperts = {{0, 2, 3}, {0, 1, 2}};
      four.masks().set(four.expertGroup(0), 1, false);
      four.masks().set(four.expertGroup(1), 3, false);
      smaller
          .parameters()
          .all()
          .forEach(
              (name, array) -> {
                if (!name.contains(".ffn.expert") && !name.endsWith("router.weight")) {
                  array.set(four.parameters().get(name).toFloatArray());
                }
              });
      for (int l = 0; l < 2; l++) {
        String p = "layer" + l + ".ffn.";
        NDArray router = four.parameters().get(p + "router.weight");
        for (int e = 0; e < 3; e++) {
          int source = keptExperts[l][e];
          for (String part : new String[] {".in.weight", ".in.bias", ".out.weight", ".out.bias"}) {
            smaller
                .parameters()
                .get(p + "expert" + e + part)
                .set(four.parameters().get(p + "expert" + source + part).toFloatArray());
          }
          smaller
              .parameters()
              .get(p + "router.weight")
              .set(new NDIndex(":, {}", e), router.get(new NDIndex(":, {}", source)));
        }
      }
      NDArray ids = ids(manager);

      MlmModel.Encoding masked = four.encodeForTraining(ids);
      MlmModel.Encoding removed = smaller.encodeForTraining(ids);

      float[] expected = smaller.mlmLogits(removed.hidden()).toFloatArray();
      float[] actual = four.mlmLogits(masked.hidden()).toFloatArray();
      for (int i = 0; i < expected.length; i++) {
        assertThat(actual[i])
            .as("logit %d", i)
            .isCloseTo(expected[i], Offset.offset(1e-5f * Math.max(1, Math.abs(expected[i]))));
      }
      assertThat(masked.auxiliaryLoss().getFloat())
          .isCloseTo(removed.auxiliaryLoss().getFloat(), Offset.offset(1e-6f));
    }
  }

  @Test
  void aLayerWithEveryExpertMaskedPassesItsInputThrough() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(6).stream("init"));
        Autograd.Mode off = Autograd.recording(false)) {
      for (int e = 0; e < 4; e++) {
        model.masks().set(model.expertGroup(0), e, false);
      }
      NDArray tokens = manager.ones(new Shape(5, 16));
      Switch.Routing routing = model.route(tokens, 0);
      assertThat(routing.output().toFloatArray()).containsOnly(0f);
      assertThat(routing.experts()).containsOnly(Switch.DROPPED);
      assertThat(routing.loadBalancingLoss().getFloat()).isZero();
      assertThat(model.forward(ids(manager)).toFloatArray()).doesNotContain(Float.NaN);
    }
  }
}
