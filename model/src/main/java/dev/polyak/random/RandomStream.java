package dev.polyak.random;

/**
 * A counter-based random stream: draw number {@code p} is a pure function of (key, p), the
 * SplitMix64 output for state {@code key + (p + 1) * 0x9E3779B97F4A7C15}. Its whole state is the
 * one long {@link #position()}, the number of 64-bit draws made so far, which a checkpoint stores
 * and {@link #seek(long)} restores exactly.
 *
 * <p>Every method documents how many 64-bit draws it consumes. Results depend only on the key and
 * position, on any JVM and platform: floating-point work uses {@link StrictMath}.
 *
 * <p>Not thread-safe: use one stream per thread (streams share no state, so two threads with their
 * own streams get the same values as either alone).
 */
public final class RandomStream {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private static final double DOUBLE_UNIT = 0x1.0p-53;
  private static final float FLOAT_UNIT = 0x1.0p-24f;

  private final long key;
  private long position;

  RandomStream(long key, long position) {
    this.key = key;
    this.position = position;
  }

  /** Draws made so far; the whole state besides the key. */
  public long position() {
    return position;
  }

  /** Moves to {@code position}: the next draw is the one a stream at that position would make. */
  public void seek(long position) {
    this.position = position;
  }

  /** An independent copy at the same key and position. */
  public RandomStream copy() {
    return new RandomStream(key, position);
  }

  /** 64 uniform bits; one draw. */
  public long nextLong() {
    return mix(key + (++position) * GOLDEN_GAMMA);
  }

  /**
   * Uniform in [0, bound), exactly (no modulo bias): a 31-bit draw {@code r} is accepted when it
   * lies in the largest multiple of {@code bound} below 2^31, otherwise redrawn (the JDK's method).
   * One draw, rarely more.
   */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    int r = (int) (nextLong() >>> 33);
    int m = bound - 1;
    if ((bound & m) == 0) {
      return (int) ((bound * (long) r) >> 31);
    }
    for (int u = r; u - (r = u % bound) + m < 0; u = (int) (nextLong() >>> 33)) {
      // rejected: u fell in the incomplete last block of bound values
    }
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits; one draw. */
  public double nextDouble() {
    return (nextLong() >>> 11) * DOUBLE_UNIT;
  }

  /** Uniform in [0, 1) with 24 random bits; one draw. */
  public float nextFloat() {
    return (nextLong() >>> 40) * FLOAT_UNIT;
  }

  /** The top bit of one draw. */
  public boolean nextBoolean() {
    return nextLong() < 0;
  }

  /**
   * A standard normal by the basic Box-Muller transform, {@code sqrt(-2 ln u1) cos(2 pi u2)} with
   * {@code u1 = 1 - nextDouble()} in (0, 1] and {@code u2 = nextDouble()}, in {@link StrictMath}.
   * Exactly two draws; the sine partner is not kept, so the position stays the whole state.
   */
  public double nextGaussian() {
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
  }

  /** {@code out[i] = (float) (std * nextGaussian())} in index order; two draws per element. */
  public void fillGaussian(float[] out, float std) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (std * nextGaussian());
    }
  }

  /**
   * {@code out[i]} uniform in [low, high): {@code low + (high - low) * nextDouble()} rounded to
   * float (a value that rounds up to {@code high} becomes the float just below it); one draw per
   * element, in index order.
   */
  public void fillUniform(float[] out, float low, float high) {
    if (!(low < high)) {
      throw new IllegalArgumentException("need low < high, got [" + low + ", " + high + ")");
    }
    double width = (double) high - low;
    for (int i = 0; i < out.length; i++) {
      float v = (float) (low + width * nextDouble());
      out[i] = v < high ? v : Math.nextDown(high);
    }
  }

  /**
   * A uniform permutation of 0..n-1 by Fisher-Yates: start from the identity, then for {@code i =
   * n-1} down to 1 swap element i with element {@code nextInt(i + 1)}.
   */
  public int[] permutation(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("permutation size must be >= 0, got " + n);
    }
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** SplitMix64's finaliser (Stafford's variant 13). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
