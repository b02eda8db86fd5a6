package dev.polyak.testing;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Provokes what a long run does between a forward and a backward pass: a garbage collection (which
 * frees the direct buffers of closed arrays made from Java values), then allocations filled with
 * NaN that can land where those buffers were. A backward pass that still reads freed memory then
 * shows NaN or different values instead of passing by luck.
 */
public final class MemoryReuse {
  private MemoryReuse() {}

  /**
   * A collection, then {@code count} NaN-filled direct buffers and engine arrays of {@code floats}
   * floats each.
   */
  public static void collectAndReuse(NDManager manager, int floats, int count) {
    float[] nan = new float[floats];
    Arrays.fill(nan, Float.NaN);
    System.gc();
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (int k = 0; k < count; k++) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
      buffer.asFloatBuffer().put(nan);
      manager.create(nan).close();
    }
  }
}
