package dev.polyak.nn;

import static dev.polyak.nn.FilterMaskCheck.filter;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A masked VGG filter contributes nothing and learns nothing; counts follow the masks. */
class Vgg16FilterMaskTest {
  /** Widths 8, 8, 16, 16, 32, 32, 32, 64 ... 64; classifier 64 wide. */
  private static final Vgg16.Config REDUCED = Vgg16.Config.reduced(10, 8);

  private static Vgg16 model(NDManager manager) {
    RandomStreams streams = new RandomStreams(4);
    return new Vgg16(
        REDUCED,
        manager,
        streams.stream(RandomStreams.INIT),
        streams.stream(RandomStreams.DROPOUT));
  }

  @Test
  void maskedFiltersHaveZeroGradientAndNoInfluence() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model = model(manager)) {
      // The first convolution, a middle one, and the last one (whose next layer is the classifier).
      FilterMaskCheck.check(
          model,
          manager,
          List.of(filter(model, 0, 3), filter(model, 6, 0), filter(model, 12, 63)),
          filter(model, 6, 1));
    }
  }

  @Test
  void structuresAreOneGroupPerConvolution() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model = model(manager)) {
      assertThat(model.masks().layers()).isEqualTo(13);
      // 8+8+16+16+32+32+32+64*6 = 528 filters.
      assertThat(model.structures()).hasSize(528);
      assertThat(filter(model, 12, 5).slices())
          .extracting(Structure.Slice::parameter)
          .containsExactly(
              "features.40.weight",
              "features.40.bias",
              "features.41.weight",
              "features.41.bias",
              "classifier.1.weight");
    }
  }

  @Test
  void keptParametersAndFlopsFollowTheMasks() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model = model(manager)) {
      // Per convolution in*out*9 + out (bias) + 2*out (batch norm):
      //   3*8*9+24=240, 8*8*9+24=600, 8*16*9+48=1200, 16*16*9+48=2352, 16*32*9+96=4704,
      //   32*32*9+96=9312 (x2), 32*64*9+192=18624, 64*64*9+192=37056 (x5)  -> 231,624
      // Classifier 64*64+64 (x2) + 64*10+10 = 8970.  Total 240,594.
      assertThat(model.keptParameters()).isEqualTo(240_594).isEqualTo(model.parameters().count());
      // 2 * 9 * sum(in*out*size^2) + 2 * (64*64 + 64*64 + 64*10)
      long convolutions =
          3 * 8 * 1024
              + 8 * 8 * 1024
              + 8 * 16 * 256
              + 16 * 16 * 256
              + 16 * 32 * 64
              + 2 * 32 * 32 * 64
              + 32 * 64 * 16
              + 2 * 64 * 64 * 16
              + 3 * 64 * 64 * 4;
      assertThat(model.flopsPerSample()).isEqualTo(18 * convolutions + 2 * (64 * 64 * 2 + 64 * 10));

      model.masks().set(0, 1, false);
      model.masks().set(0, 2, false);
      model.masks().set(12, 0, false);
      // Convolution 0 keeps 6 filters: 3*6*9 + 6*3 = 180 (was 240); convolution 1 sees 6 inputs:
      // 6*8*9 + 24 = 456 (was 600); convolution 12 keeps 63: 64*63*9 + 63*3 = 36477 (was 37056);
      // classifier.1 sees 63 inputs: 63*64 + 64 = 4096 (was 4160).
      long expected = 240_594 - (240 - 180) - (600 - 456) - (37_056 - 36_477) - (4160 - 4096);
      assertThat(model.keptParameters()).isEqualTo(expected).isEqualTo(239_747);
    }
  }
}
