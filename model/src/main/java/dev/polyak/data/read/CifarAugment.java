package dev.polyak.data.read;

import dev.polyak.data.image.CifarVariant;
import dev.polyak.random.RandomStream;

/**
 * The standard CIFAR training augmentation, as torchvision's {@code RandomCrop(32, padding=4)},
 * {@code RandomHorizontalFlip()}, {@code Normalize(mean, std)}: the image is zero-padded by 4
 * pixels on each side (zero in pixel space, before normalisation), a 32x32 window is cut at a
 * uniform offset in [0, 8] on each axis, mirrored left-right with probability 0.5, and each channel
 * becomes {@code (x - mean[c]) / std[c]} with mean and std in 0-255 units. Evaluation only
 * normalises.
 *
 * <p>Draw order in training: {@code top = nextInt(9)}, {@code left = nextInt(9)}, {@code flip =
 * nextBoolean()} (torchvision draws the top offset first too). Evaluation draws nothing.
 */
public final class CifarAugment {
  /** Pixels of zero padding on each side before the random crop. */
  public static final int PADDING = 4;

  private static final int SIZE = CifarVariant.WIDTH;
  private static final int PLANE = SIZE * SIZE;

  private CifarAugment() {}

  /** One image as CHW floats: augmented and normalised when {@code train}, else only normalised. */
  public static float[] apply(
      byte[] chw, RandomStream stream, float[] mean, float[] std, boolean train) {
    if (!train) {
      return transform(chw, PADDING, PADDING, false, mean, std);
    }
    int top = stream.nextInt(2 * PADDING + 1);
    int left = stream.nextInt(2 * PADDING + 1);
    boolean flip = stream.nextBoolean();
    return transform(chw, top, left, flip, mean, std);
  }

  /**
   * Crop at ({@code top}, {@code left}) of the padded image, then flip, then normalise. Output
   * pixel (y, x) of channel c is padded pixel (y + top, (flip ? 31 - x : x) + left), where padded
   * pixel (py, px) is image pixel (py - 4, px - 4), or 0 outside the image.
   */
  static float[] transform(byte[] chw, int top, int left, boolean flip, float[] mean, float[] std) {
    if (chw.length != CifarVariant.IMAGE_BYTES) {
      throw new IllegalArgumentException(
          "a CIFAR image has " + CifarVariant.IMAGE_BYTES + " bytes, got " + chw.length);
    }
    if (top < 0 || top > 2 * PADDING || left < 0 || left > 2 * PADDING) {
      throw new IllegalArgumentException(
          "crop offsets must be in [0, 8], got top " + top + ", left " + left);
    }
    float[] out = new float[CifarVariant.IMAGE_BYTES];
    for (int c = 0; c < CifarVariant.CHANNELS; c++) {
      float m = mean[c];
      float s = std[c];
      float zero = (0f - m) / s;
      for (int y = 0; y < SIZE; y++) {
        int sy = y + top - PADDING;
        for (int x = 0; x < SIZE; x++) {
          int sx = (flip ? SIZE - 1 - x : x) + left - PADDING;
          boolean inside = sy >= 0 && sy < SIZE && sx >= 0 && sx < SIZE;
          out[c * PLANE + y * SIZE + x] =
              inside ? ((chw[c * PLANE + sy * SIZE + sx] & 0xFF) - m) / s : zero;
        }
      }
    }
    return out;
  }
}
