package dev.polyak.data.read;

import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;

/**
 * The order in which training samples are visited: one permutation per epoch, and global steps
 * mapped onto consecutive batches of it (epochs concatenated; the last partial batch of each epoch
 * is dropped). Everything is a pure function of (run seed, sample count, epoch or step), so a
 * resume at any step sees exactly the batches an uninterrupted run would.
 *
 * <p>Epoch {@code e}'s order is {@code permutation(sampleCount)} of the run's "data-order" stream
 * sought to position {@code e * 2^32}; the epochs' draws never overlap (a permutation of n samples
 * takes n - 1 draws plus rare rejections, far below 2^32 for any n below 2^31).
 *
 * <p>Thread-safe: the last epoch's order is cached in an immutable holder.
 */
public final class Batches {
  /** Stream positions reserved for each epoch's permutation. */
  static final long POSITIONS_PER_EPOCH = 1L << 32;

  private final RandomStream dataOrder;
  private final int sampleCount;
  private volatile EpochOrder cached;

  private record EpochOrder(int epoch, int[] order) {}

  public Batches(RandomStreams streams, int sampleCount) {
    if (sampleCount < 1) {
      throw new IllegalArgumentException("need at least one sample, got " + sampleCount);
    }
    this.dataOrder = streams.stream(RandomStreams.DATA_ORDER);
    this.sampleCount = sampleCount;
  }

  public int sampleCount() {
    return sampleCount;
  }

  /** Whole batches per epoch. */
  public int batchesPerEpoch(int batchSize) {
    if (batchSize < 1 || batchSize > sampleCount) {
      throw new IllegalArgumentException(
          "batch size must be in 1.." + sampleCount + ", got " + batchSize);
    }
    return sampleCount / batchSize;
  }

  /** The epoch that global step {@code step} falls in. */
  public int epochOf(long step, int batchSize) {
    return Math.toIntExact(step / batchesPerEpoch(batchSize));
  }

  /** The sample indices of epoch {@code epoch}, each exactly once. */
  public int[] order(int epoch) {
    return epochOrder(epoch).clone();
  }

  /** The sample indices of global step {@code step} (0-based). */
  public int[] batch(long step, int batchSize) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    int perEpoch = batchesPerEpoch(batchSize);
    int epoch = Math.toIntExact(step / perEpoch);
    int first = (int) (step % perEpoch) * batchSize;
    return Arrays.copyOfRange(epochOrder(epoch), first, first + batchSize);
  }

  private int[] epochOrder(int epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    }
    EpochOrder c = cached;
    if (c != null && c.epoch() == epoch) {
      return c.order();
    }
    RandomStream stream = dataOrder.copy();
    long start = epoch * POSITIONS_PER_EPOCH;
    stream.seek(start);
    int[] order = stream.permutation(sampleCount);
    if (stream.position() - start > POSITIONS_PER_EPOCH) {
      throw new IllegalStateException(
          "epoch " + epoch + " used more than 2^32 draws for " + sampleCount + " samples");
    }
    cached = new EpochOrder(epoch, order);
    return order;
  }
}
