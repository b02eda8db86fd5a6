package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weight-level masks against the same model with the same weights set to zero by hand (no mask):
 * the masked model's output is the hand-zeroed model's to the bit, its gradient is the hand-zeroed
 * model's on every kept weight and exactly zero on every removed one (where the hand-zeroed model's
 * is not), a removed weight's value has no effect, and the kept-parameter count drops by exactly
 * the removed weights. On a reduced VGG-16, ResNet-8 and an MLP.
 */
class WeightMaskTest {
  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  static Stream<Arguments> models() {
    Function<NDManager, MaskedModel> vgg =
        m -> {
          RandomStreams streams = new RandomStreams(4);
          return new Vgg16(
              Vgg16.Config.reduced(10, 16),
              m,
              streams.stream(RandomStreams.INIT),
              streams.stream(RandomStreams.DROPOUT));
        };
    Function<NDManager, MaskedModel> resnet =
        m ->
            new ResNet56(
                new ResNet56.Config(1, 10), m, new RandomStreams(4).stream(RandomStreams.INIT));
    Function<NDManager, MaskedModel> mlp =
        m ->
            new Mlp(
                new Mlp.Config(3 * 32 * 32, new int[] {12, 8}, 10),
                m,
                new RandomStreams(4).stream(RandomStreams.INIT));
    return Stream.of(
        Arguments.of("vgg16/16", vgg), Arguments.of("resnet8", resnet), Arguments.of("mlp", mlp));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void removedWeightsHaveZeroGradientAndNoEffect(
      String name, Function<NDManager, MaskedModel> build) {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        MaskedModel masked = build.apply(manager);
        MaskedModel byHand = build.apply(manager)) {
      WeightMasks masks = masked.weightMasks();
      assertThat(masks.names()).isNotEmpty();
      assertThat(byHand.weightMasks().names()).isEqualTo(masks.names());
      // About a third of every prunable weight removed, from a fixed stream.
      RandomStream draw = new RandomStreams(9).stream("mask");
      Map<String, boolean[]> keep = new LinkedHashMap<>();
      long removed = 0;
      for (String weight : masks.names()) {
        boolean[] k = new boolean[masks.size(weight)];
        for (int i = 0; i < k.length; i++) {
          k[i] = draw.nextDouble() >= 1.0 / 3;
          removed += k[i] ? 0 : 1;
        }
        keep.put(weight, k);
        masks.set(weight, k);
        float[] values = byHand.parameters().get(weight).toFloatArray();
        for (int i = 0; i < k.length; i++) {
          values[i] = k[i] ? values[i] : 0f;
        }
        try (Autograd.Mode off = Autograd.recording(false)) {
          Parameters.overwrite(byHand.parameters().get(weight), values);
        }
      }
      masks.zeroRemoved(masked.parameters());
      assertThat(masked.keptParameters())
          .isEqualTo(masked.parameters().count() - removed)
          .isEqualTo(byHand.keptParameters() - removed);
      for (String weight : masks.names()) {
        assertThat(masked.parameters().get(weight).toFloatArray())
            .isEqualTo(byHand.parameters().get(weight).toFloatArray());
      }

      NDArray x = images(manager);
      float[] output = forwardBackward(masked, x);
      assertThat(output).isEqualTo(forwardBackward(byHand, x));
      for (String weight : masks.names()) {
        float[] g = masked.parameters().get(weight).getGradient().toFloatArray();
        float[] h = byHand.parameters().get(weight).getGradient().toFloatArray();
        boolean[] k = keep.get(weight);
        boolean handNonzeroOnRemoved = false;
        for (int i = 0; i < k.length; i++) {
          if (k[i]) {
            assertThat(g[i]).as("%s[%d] kept", weight, i).isEqualTo(h[i]);
          } else {
            assertThat(g[i]).as("%s[%d] removed", weight, i).isZero();
            handNonzeroOnRemoved |= h[i] != 0f;
          }
        }
        assertThat(handNonzeroOnRemoved).as("%s: the test can see a gradient", weight).isTrue();
      }

      // A removed weight's value does not matter, to the bit; putting it back does.
      String first = masks.names().get(0);
      float[] w = masked.parameters().get(first).toFloatArray();
      boolean[] k = keep.get(first);
      for (int i = 0; i < w.length; i++) {
        w[i] = k[i] ? w[i] : 1000f;
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        Parameters.overwrite(masked.parameters().get(first), w);
        assertThat(masked.forward(x).toFloatArray()).isEqualTo(output);
        float[] all = new float[k.length];
        java.util.Arrays.fill(all, 1f);
        masks.set(first, all);
        assertThat(masked.forward(x).toFloatArray()).isNotEqualTo(output);
      }
    }
  }

  private static NDArray images(NDManager manager) {
    float[] pixels = new float[4 * 3 * 32 * 32];
    new RandomStreams(11).stream("data").fillGaussian(pixels, 1f);
    return manager.create(pixels, new Shape(4, 3, 32, 32));
  }

  /** Evaluation-mode logits of {@code x}, after a backward pass of their summed squares. */
  private static float[] forwardBackward(MaskedModel model, NDArray x) {
    model.evaluation();
    Autograd.zeroGradients(model.parameters().arrays());
    try (Autograd.Mode on = Autograd.recording(true)) {
      NDArray logits = model.forward(x);
      float[] values = logits.toFloatArray();
      Autograd.backward(logits.square().sum());
      return values;
    }
  }
}
