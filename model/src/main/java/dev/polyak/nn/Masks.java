package dev.polyak.nn;

import java.util.Arrays;

/**
 * One keep/prune vector per mask group (layer): 1 keeps a structure, 0 removes it. The forward pass
 * multiplies each structure's output by its entry, so a removed structure contributes exactly zero
 * and its parameters get exactly zero gradient.
 */
public final class Masks {
  private final float[][] values;

  /** All structures kept; {@code sizes[l]} structures in layer {@code l}. */
  public Masks(int... sizes) {
    values = new float[sizes.length][];
    for (int l = 0; l < sizes.length; l++) {
      values[l] = new float[sizes[l]];
      Arrays.fill(values[l], 1f);
    }
  }

  public int layers() {
    return values.length;
  }

  public int size(int layer) {
    return values[layer].length;
  }

  public boolean kept(int layer, int index) {
    return values[layer][index] != 0f;
  }

  public void set(int layer, int index, boolean keep) {
    values[layer][index] = keep ? 1f : 0f;
  }

  /** The layer's vector (a copy). */
  public float[] layer(int layer) {
    return values[layer].clone();
  }

  public int keptCount(int layer) {
    int n = 0;
    for (float v : values[layer]) {
      n += v != 0f ? 1 : 0;
    }
    return n;
  }

  public boolean allKept(int layer) {
    return keptCount(layer) == values[layer].length;
  }
}
