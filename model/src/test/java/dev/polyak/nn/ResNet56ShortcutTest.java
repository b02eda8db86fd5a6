package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The option-A shortcut equals {@code F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad // 2, pad - pad //
 * 2))} of {@code anchors/cnn.py}, written out element by element.
 */
class ResNet56ShortcutTest {
  @Test
  void subsamplesEverySecondPixelAndZeroPadsChannelsOnBothSides() {
    Autograd.ensureEngine();
    // x[0][c][y][x] = 100 c + 10 y + x, 2 channels of 4x4; widened to 5 channels: pad 3 = 1 before,
    // 2 after.
    float[] values = new float[2 * 4 * 4];
    for (int c = 0; c < 2; c++) {
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
          values[(c * 4 + y) * 4 + x] = 100 * c + 10 * y + x;
        }
      }
    }
    float[] expected = {
      0, 0, 0, 0,
      0, 2, 20, 22,
      100, 102, 120, 122,
      0, 0, 0, 0,
      0, 0, 0, 0
    };
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      var shortcut = ResNet56.shortcut(manager.create(values, new Shape(1, 2, 4, 4)), 2, 5);
      assertThat(shortcut.getShape()).isEqualTo(new Shape(1, 5, 2, 2));
      assertThat(shortcut.toFloatArray()).isEqualTo(expected);
      var identity = manager.create(values, new Shape(1, 2, 4, 4));
      assertThat(ResNet56.shortcut(identity, 1, 2)).isSameAs(identity);
    }
  }
}
