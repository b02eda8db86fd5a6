package dev.polyak.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Streams are pure functions of (run seed, purpose): reproducible, distinct and unshared. */
class RandomStreamsTest {
  private static long[] draws(RandomStream s, int n) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = s.nextLong();
    }
    return v;
  }

  @Test
  void sameSeedAndPurposeGiveTheSameSequence() {
    long[] a = draws(new RandomStreams(42).stream("masking"), 1000);
    long[] b = draws(new RandomStreams(42).stream("masking"), 1000);
    assertThat(a).isEqualTo(b);
  }

  @Test
  void differentPurposesOrSeedsGiveDifferentSequences() {
    long[] base = draws(new RandomStreams(42).stream("masking"), 100);
    assertThat(draws(new RandomStreams(42).stream("init"), 100)).isNotEqualTo(base);
    assertThat(draws(new RandomStreams(43).stream("masking"), 100)).isNotEqualTo(base);
    assertThat(draws(new RandomStreams(42).stream("Masking"), 100)).isNotEqualTo(base);
    // no shared prefix or offset: no value of one appears in the other's first 100
    long[] other = draws(new RandomStreams(42).stream("init"), 100);
    for (long v : base) {
      assertThat(other).doesNotContain(v);
    }
  }

  @Test
  void goldenValuesArePinned() {
    RandomStream s = new RandomStreams(20230501L).stream(RandomStreams.INIT);
    assertThat(RandomStreams.key(20230501L, RandomStreams.INIT)).isEqualTo(GOLDEN_KEY);
    assertThat(draws(s, 3)).containsExactly(GOLDEN_LONGS);
    RandomStream t = new RandomStreams(20230501L).stream(RandomStreams.DATA_ORDER);
    assertThat(t.nextInt(1000)).isEqualTo(GOLDEN_INT);
    assertThat(t.nextDouble()).isEqualTo(GOLDEN_DOUBLE);
    assertThat(t.nextGaussian()).isEqualTo(GOLDEN_GAUSSIAN);
    assertThat(t.permutation(8)).containsExactly(GOLDEN_PERMUTATION);
    assertThat(t.position()).isEqualTo(GOLDEN_POSITION);
  }

  private static final long GOLDEN_KEY = 1832332964871501362L;
  private static final long[] GOLDEN_LONGS = {
    -4085315850293051598L, 1187340288613560877L, -4211559956186058388L
  };
  private static final int GOLDEN_INT = 634;
  private static final double GOLDEN_DOUBLE = 0.6862033474693314;
  private static final double GOLDEN_GAUSSIAN = 0.5226093799009212;
  private static final int[] GOLDEN_PERMUTATION = {4, 2, 6, 3, 5, 1, 0, 7};
  private static final long GOLDEN_POSITION = 11;

  /** Key 0 is plain SplitMix64 seeded with 0: its published first outputs. */
  @Test
  void keyZeroMatchesReferenceSplitMix64() {
    RandomStream s = new RandomStream(0L, 0L);
    assertThat(draws(s, 3))
        .containsExactly(0xE220A8397B1DCDAFL, 0x6E789E6AA1B965F4L, 0x06C45D188009454FL);
  }

  @Test
  void streamsOnTwoThreadsGiveWhatTheyGiveAlone() throws Exception {
    RandomStreams streams = new RandomStreams(7);
    double[] initAlone = gaussians(streams.stream("init"));
    double[] maskingAlone = gaussians(streams.stream("masking"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        Callable<double[]> init = () -> gaussians(streams.stream("init"));
        Callable<double[]> masking = () -> gaussians(streams.stream("masking"));
        Future<double[]> a = pool.submit(init);
        Future<double[]> b = pool.submit(masking);
        assertThat(a.get()).isEqualTo(initAlone);
        assertThat(b.get()).isEqualTo(maskingAlone);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static double[] gaussians(RandomStream s) {
    double[] v = new double[200_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = s.nextGaussian();
    }
    return v;
  }

  @Test
  void emptyPurposeIsRefused() {
    assertThatThrownBy(() -> new RandomStreams(1).stream(""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
