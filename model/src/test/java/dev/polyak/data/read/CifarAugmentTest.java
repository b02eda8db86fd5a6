package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/** Crop, flip and normalisation on images whose pixels encode their own coordinates. */
class CifarAugmentTest {
  private static final float[] MEAN = {10f, 20f, 30f};
  private static final float[] STD = {2f, 4f, 5f};

  /** A value that differs by channel, row and column parity; 1..222, never zero. */
  private static int value(int c, int y, int x) {
    return 1 + c * 80 + y * 2 + (x % 2);
  }

  private static byte[] image() {
    byte[] chw = new byte[3072];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          chw[c * 1024 + y * 32 + x] = (byte) value(c, y, x);
        }
      }
    }
    return chw;
  }

  private static float at(float[] out, int c, int y, int x) {
    return out[c * 1024 + y * 32 + x];
  }

  @Test
  void evalOnlyNormalises() {
    byte[] chw = image();
    chw[5] = (byte) 200; // unsigned: 200, not -56
    float[] out =
        CifarAugment.apply(chw, new RandomStreams(1).stream("augmentation"), MEAN, STD, false);
    assertThat(at(out, 0, 0, 5)).isEqualTo((200 - 10f) / 2f);
    assertThat(at(out, 2, 31, 31)).isEqualTo((value(2, 31, 31) - 30f) / 5f);
    assertThat(at(out, 1, 7, 4)).isEqualTo((value(1, 7, 4) - 20f) / 4f);
  }

  @Test
  void cropAtTopLeftCornerShiftsTheImageDownRightWithZeroPadding() {
    float[] out = CifarAugment.transform(image(), 0, 0, false, MEAN, STD);
    // padded rows/cols 0..3 are zero pixels: (0 - mean) / std
    assertThat(at(out, 0, 0, 0)).isEqualTo(-5f);
    assertThat(at(out, 1, 3, 20)).isEqualTo(-5f);
    assertThat(at(out, 2, 20, 3)).isEqualTo(-6f);
    // output (4, 4) is image (0, 0); output (31, 31) is image (27, 27)
    assertThat(at(out, 0, 4, 4)).isEqualTo((value(0, 0, 0) - 10f) / 2f);
    assertThat(at(out, 0, 31, 31)).isEqualTo((value(0, 27, 27) - 10f) / 2f);
    assertThat(at(out, 1, 10, 9)).isEqualTo((value(1, 6, 5) - 20f) / 4f);
  }

  @Test
  void cropAtBottomRightWithFlip() {
    float[] out = CifarAugment.transform(image(), 8, 8, true, MEAN, STD);
    // crop at (8, 8): cropped (y, x) = image (y + 4, x + 4), zero for y or x >= 28
    // flip: out (y, x) = cropped (y, 31 - x) = image (y + 4, 35 - x)
    assertThat(at(out, 0, 0, 31)).isEqualTo((value(0, 4, 4) - 10f) / 2f);
    assertThat(at(out, 0, 0, 4)).isEqualTo((value(0, 4, 31) - 10f) / 2f);
    assertThat(at(out, 0, 0, 3)).as("flipped padding is on the left").isEqualTo(-5f);
    assertThat(at(out, 2, 27, 10)).isEqualTo((value(2, 31, 25) - 30f) / 5f);
    assertThat(at(out, 2, 28, 10)).as("bottom padding").isEqualTo(-6f);
  }

  @Test
  void centreCropWithoutFlipIsTheIdentity() {
    byte[] chw = image();
    assertThat(CifarAugment.transform(chw, 4, 4, false, MEAN, STD))
        .isEqualTo(CifarAugment.apply(chw, null, MEAN, STD, false));
  }

  @Test
  void trainingDrawsTopLeftFlipInThatOrder() {
    byte[] chw = image();
    RandomStream s = new RandomStreams(2).stream(RandomStreams.AUGMENTATION);
    RandomStream mirror = s.copy();
    float[] out = CifarAugment.apply(chw, s, MEAN, STD, true);
    int top = mirror.nextInt(9);
    int left = mirror.nextInt(9);
    boolean flip = mirror.nextBoolean();
    assertThat(out).isEqualTo(CifarAugment.transform(chw, top, left, flip, MEAN, STD));
    assertThat(s.position()).isEqualTo(mirror.position());
  }

  @Test
  void offsetsAndFlipsAreUniform() {
    RandomStream s = new RandomStreams(3).stream(RandomStreams.AUGMENTATION);
    // two marked pixels of channel R: 255 at image (16, 16), 128 at its right neighbour (16, 17)
    byte[] chw = new byte[3072];
    chw[16 * 32 + 16] = (byte) 255;
    chw[16 * 32 + 17] = (byte) 128;
    float[] zero = {0f, 0f, 0f};
    float[] one = {1f, 1f, 1f};
    long[] tops = new long[9];
    long[] lefts = new long[9];
    long flips = 0;
    int rounds = 45_000;
    for (int r = 0; r < rounds; r++) {
      float[] out = CifarAugment.apply(chw, s, zero, one, true);
      int bright = indexOf(out, 255f);
      int dim = indexOf(out, 128f);
      assertThat(dim / 32).isEqualTo(bright / 32);
      boolean flip = dim % 32 < bright % 32;
      // the bright pixel lands at (20 - top, 20 - left), or at column 31 - (20 - left) when flipped
      int top = 20 - bright / 32;
      int left = flip ? bright % 32 - 11 : 20 - bright % 32;
      tops[top]++;
      lefts[left]++;
      flips += flip ? 1 : 0;
    }
    for (int i = 0; i < 9; i++) {
      assertThat(tops[i] / (double) rounds).as("top %d", i).isCloseTo(1 / 9.0, within(0.01));
      assertThat(lefts[i] / (double) rounds).as("left %d", i).isCloseTo(1 / 9.0, within(0.01));
    }
    assertThat(flips / (double) rounds).isCloseTo(0.5, within(0.01));
  }

  private static int indexOf(float[] out, float value) {
    for (int i = 0; i < 1024; i++) {
      if (out[i] == value) {
        return i;
      }
    }
    throw new AssertionError("value " + value + " not in channel R");
  }
}
