package dev.polyak.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/** The heap pools' peak usage, for the benchmarks: reset after a collection, then read as a sum. */
final class HeapPeaks {
  private HeapPeaks() {}

  /** A full collection, then every heap pool's peak set to its current use. */
  static void reset() {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /**
   * The sum of the heap pools' peaks since {@link #reset}: an upper bound (the pools peak at
   * different moments).
   */
  static long peakBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
