package dev.polyak.nn;

import static dev.polyak.nn.FilterMaskCheck.filter;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A masked inner filter of a ResNet block contributes nothing and learns nothing; counts follow the
 * masks.
 */
class ResNet56FilterMaskTest {
  /** ResNet-8: one block per stage, so blocks 1 and 2 have a strided, zero-padded shortcut. */
  private static final ResNet56.Config RESNET8 = new ResNet56.Config(1, 10);

  private static ResNet56 model(NDManager manager) {
    return new ResNet56(RESNET8, manager, new RandomStreams(4).stream(RandomStreams.INIT));
  }

  @Test
  void maskedFiltersHaveZeroGradientAndNoInfluence() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 model = model(manager)) {
      FilterMaskCheck.check(
          model,
          manager,
          List.of(filter(model, 0, 2), filter(model, 1, 31), filter(model, 2, 7)),
          filter(model, 2, 8));
    }
  }

  @Test
  void keptParametersAndFlopsFollowTheMasks() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 model = model(manager)) {
      assertThat(model.masks().layers()).isEqualTo(3);
      assertThat(model.structures()).hasSize(16 + 32 + 64);
      // Stem 3*16*9 + 32 = 464; block 0: 2 * (16*16*9 + 32) = 4672; block 1: 16*32*9 + 64 +
      // 32*32*9 + 64 = 13952; block 2: 32*64*9 + 128 + 64*64*9 + 128 = 55552; fc 64*10 + 10 = 650.
      assertThat(model.keptParameters()).isEqualTo(75_290).isEqualTo(model.parameters().count());
      // 2 * 9 * (3*16*1024 + 2*16*16*1024 + 16*32*256 + 32*32*256 + 32*64*64 + 64*64*64) + 2*64*10
      assertThat(model.flopsPerSample())
          .isEqualTo(
              18L
                      * (3 * 16 * 1024
                          + 2 * 16 * 16 * 1024
                          + 16 * 32 * 256
                          + 32 * 32 * 256
                          + 32 * 64 * 64
                          + 64 * 64 * 64)
                  + 2 * 64 * 10);

      model.masks().set(1, 0, false);
      model.masks().set(1, 5, false);
      model.masks().set(2, 9, false);
      // Block 1 keeps 30 inner filters: 16*30*9 + 60 + 30*32*9 + 64 = 13084 (was 13952);
      // block 2 keeps 63: 32*63*9 + 126 + 63*64*9 + 128 = 54686 (was 55552).
      assertThat(model.keptParameters())
          .isEqualTo(75_290 - (13_952 - 13_084) - (55_552 - 54_686))
          .isEqualTo(73_556);
    }
  }
}
