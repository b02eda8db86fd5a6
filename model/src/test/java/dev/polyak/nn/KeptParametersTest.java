package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Kept parameters when masked structures share elements, by hand. */
class KeptParametersTest {
  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void anElementOfTwoMaskedNeuronsIsRemovedOnce() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model =
            new Mlp(
                new Mlp.Config(6, new int[] {5, 4}, 3),
                manager,
                new RandomStreams(1).stream("init"))) {
      // w0 6x5 + b0 5 + w1 5x4 + b1 4 + w2 4x3 + b2 3
      assertThat(model.keptParameters()).isEqualTo(74);
      model.masks().set(0, 2, false); // column 2 of w0 (6), b0[2] (1), row 2 of w1 (4): 11
      assertThat(model.keptParameters()).isEqualTo(63);
      model
          .masks()
          .set(1, 1, false); // column 1 of w1 (5), b1[1] (1), row 1 of w2 (3): 9, sharing w1[2][1]
      assertThat(model.keptParameters()).isEqualTo(74 - 11 - 9 + 1);
    }
  }
}
