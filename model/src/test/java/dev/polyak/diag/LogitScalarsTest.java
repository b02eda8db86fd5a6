package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.Autograd;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scalars of a token row with several masked positions (rows of logits), by hand: each kernel's
 * scalar is the mean over the rows of its per-row value.
 */
class LogitScalarsTest {
  private static final float[][] LOGITS = {{1, 2, 3, 4}, {-1, 0.5f, 2, 0}, {0, 0, 1, -3}};
  private static final long[] TARGETS = {3, 1, 0};

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void eachKernelsScalarIsTheMeanOverTheMaskedPositionsOfItsPerRowValue() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray logits =
          manager.create(new float[] {1, 2, 3, 4, -1, 0.5f, 2, 0, 0, 0, 1, -3}, new Shape(3, 4));
      // row sums 10, 1.5, -2: mean 19/6, over √4
      assertThat(scalar(manager, KernelKind.PNTK, logits, 0)).isCloseTo(19.0 / 6 / 2, within(1e-6));
      // true logits 4, 0.5, 0
      assertThat(scalar(manager, KernelKind.TARGET_LOGIT, logits, 0))
          .isCloseTo(4.5 / 3, within(1e-6));
      float[] v = new float[8];
      RandomStreams streams = new RandomStreams(3);
      streams.stream(KernelKind.PROJECTION_STREAM).fillGaussian(v, 1f);
      for (int j = 0; j < 2; j++) {
        double expected = 0;
        for (float[] row : LOGITS) {
          for (int c = 0; c < 4; c++) {
            expected += row[c] * v[j * 4 + c] / 3.0;
          }
        }
        try (LogitScalars scalars =
            new LogitScalars(
                KernelKind.projected(2),
                4,
                new RandomStreams(3).stream(KernelKind.PROJECTION_STREAM),
                manager)) {
          assertThat((double) scalars.scalar(logits, TARGETS, j).getFloat())
              .as("projection %d", j)
              .isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  private static double scalar(NDManager manager, KernelKind kind, NDArray logits, int j) {
    try (LogitScalars scalars =
        new LogitScalars(kind, 4, new RandomStreams(3).stream("unused"), manager)) {
      return scalars.scalar(logits, TARGETS, j).getFloat();
    }
  }
}
