package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * A masked attention head adds exactly nothing and its Q, K, V and output slices get zero gradient.
 */
class BertHeadMaskTest {
  private static final Bert.Config CONFIG = new Bert.Config(50, 16, 2, 4, 32, 8);

  @Test
  void maskedHeadSlicesGetZeroGradientAndDoNotChangeTheOutput() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(CONFIG, manager, new RandomStreams(5).stream("init"))) {
      model.masks().set(1, 2, false);
      int[] tokens = new int[2 * 8];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = 5 + (i * 7) % 45;
      }
      NDArray ids = manager.create(tokens, new Shape(2, 8));
      float[] before;
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray logits = model.forward(ids);
        assertThat(logits.getShape()).isEqualTo(new Shape(2, 8, 50));
        before = logits.toFloatArray();
        Autograd.backward(logits.square().mean());
      }
      Parameters p = model.parameters();
      Structure head =
          model.structures().stream()
              .filter(s -> s.id().equals("layer1/head2"))
              .findFirst()
              .orElseThrow();
      assertThat(head.slices()).hasSize(7);
      for (Structure.Slice slice : head.slices()) {
        NDArray grad = p.get(slice.parameter()).getGradient();
        NDArray part =
            slice.axis() == 0
                ? grad.get(new NDIndex("{}:{}", slice.from(), slice.to()))
                : grad.get(new NDIndex(":, {}:{}", slice.from(), slice.to()));
        assertThat(part.toFloatArray()).as(slice.toString()).containsOnly(0f);
      }
      // A kept head of the same layer does get gradient.
      assertThat(
              p.get("layer1.attention.query.weight")
                  .getGradient()
                  .get(new NDIndex(":, 0:4"))
                  .abs()
                  .sum()
                  .getFloat())
          .isGreaterThan(0f);

      try (Autograd.Mode off = Autograd.recording(false)) {
        p.get("layer1.attention.query.weight").set(new NDIndex(":, 8:12"), 5f);
        p.get("layer1.attention.value.bias").set(new NDIndex("8:12"), -2f);
        p.get("layer1.attention.output.weight").set(new NDIndex("8:12, :"), 3f);
        assertThat(model.forward(ids).toFloatArray()).isEqualTo(before);
        model.masks().set(1, 2, true);
        assertThat(model.forward(ids).toFloatArray()).isNotEqualTo(before);
      }
    }
  }

  @Test
  void keptParametersCountTheRemovedHeadSlices() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(CONFIG, manager, new RandomStreams(5).stream("init"))) {
      long all = model.parameters().count();
      assertThat(model.keptParameters()).isEqualTo(all);
      model.masks().set(0, 1, false);
      // d = 4: Q, K, V each lose 16x4 weights + 4 biases, the output projection 4x16 weights.
      assertThat(model.keptParameters()).isEqualTo(all - (3 * (64 + 4) + 64));
      assertThat(model.structures()).hasSize(8);
    }
  }
}
