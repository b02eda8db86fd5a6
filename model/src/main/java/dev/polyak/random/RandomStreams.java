package dev.polyak.random;

import dev.polyak.io.Digests;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The random streams of one run, each derived from the run seed and a purpose name only: the stream
 * for "masking" is the same whatever else the run draws, on every worker and after a resume. Never
 * touches a global RNG.
 *
 * <p>A stream's key is the first 8 bytes (big-endian) of SHA-256 over the run seed as 8 big-endian
 * bytes followed by the purpose's UTF-8 bytes. Immutable and thread-safe; the streams it hands out
 * are not (one per thread).
 */
public final class RandomStreams {
  /** Initial weights. */
  public static final String INIT = "init";

  /** The order of training samples, epoch by epoch ({@code dev.polyak.data.read.Batches}). */
  public static final String DATA_ORDER = "data-order";

  /** MLM masking of token rows. */
  public static final String MASKING = "masking";

  /** Image augmentation (random crop and flip). */
  public static final String AUGMENTATION = "augmentation";

  /** The samples that diagnostics probe. */
  public static final String PROBES = "probes";

  /**
   * The training samples left out, one at a time, by the stability estimate ({@code
   * dev.polyak.train.Stability}).
   */
  public static final String STABILITY = "stability";

  /**
   * The start vector of β's Hessian iteration (Lanczos or power) ({@code
   * dev.polyak.diag.HessianEigenvalue}).
   */
  public static final String SMOOTHNESS = "smoothness";

  /** Gating decisions. */
  public static final String GATING = "gating";

  /** Dropout keep masks, positioned by optimizer step ({@code dev.polyak.nn.Dropout}). */
  public static final String DROPOUT = "dropout";

  private final long runSeed;

  public RandomStreams(long runSeed) {
    this.runSeed = runSeed;
  }

  public long runSeed() {
    return runSeed;
  }

  /** A new stream for {@code purpose}, at position 0. */
  public RandomStream stream(String purpose) {
    return new RandomStream(key(runSeed, purpose), 0);
  }

  /** The key of the stream of {@code purpose} under {@code runSeed}. */
  static long key(long runSeed, String purpose) {
    if (purpose == null || purpose.isEmpty()) {
      throw new IllegalArgumentException("a random stream needs a non-empty purpose name");
    }
    MessageDigest sha = Digests.sha256();
    sha.update(ByteBuffer.allocate(Long.BYTES).putLong(runSeed).array());
    sha.update(purpose.getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(sha.digest()).getLong();
  }
}
