package dev.polyak.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Loose statistical sanity over 10^6 draws: catches a broken mapping, not subtle bias. */
class RandomStreamStatisticsTest {
  private static final int N = 1_000_000;

  @Test
  void uniformDoublesHaveMeanHalfAndVarianceATwelfth() {
    RandomStream s = new RandomStreams(11).stream("probes");
    double sum = 0;
    double sumSquares = 0;
    for (int i = 0; i < N; i++) {
      double u = s.nextDouble();
      assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      sum += u;
      sumSquares += u * u;
    }
    double mean = sum / N;
    assertThat(mean).isCloseTo(0.5, within(0.002));
    assertThat(sumSquares / N - mean * mean).isCloseTo(1.0 / 12, within(0.001));
  }

  @Test
  void gaussiansHaveMeanZeroAndVarianceOne() {
    RandomStream s = new RandomStreams(12).stream("init");
    double sum = 0;
    double sumSquares = 0;
    long beyondTwo = 0;
    for (int i = 0; i < N; i++) {
      double g = s.nextGaussian();
      sum += g;
      sumSquares += g * g;
      beyondTwo += Math.abs(g) > 2 ? 1 : 0;
    }
    double mean = sum / N;
    assertThat(mean).isCloseTo(0, within(0.005));
    assertThat(sumSquares / N - mean * mean).isCloseTo(1, within(0.01));
    assertThat(beyondTwo / (double) N).isCloseTo(0.0455, within(0.002));
  }

  @Test
  void filledArraysFollowTheirParameters() {
    RandomStream s = new RandomStreams(13).stream("init");
    float[] g = new float[N];
    s.fillGaussian(g, 0.02f);
    double sumSquares = 0;
    for (float v : g) {
      sumSquares += v * v;
    }
    assertThat(Math.sqrt(sumSquares / N)).isCloseTo(0.02, within(0.0002));

    float[] u = new float[N];
    s.fillUniform(u, -0.5f, 1.5f);
    double sum = 0;
    for (float v : u) {
      assertThat(v).isGreaterThanOrEqualTo(-0.5f).isLessThan(1.5f);
      sum += v;
    }
    assertThat(sum / N).isCloseTo(0.5, within(0.005));
  }

  @Test
  void nextIntIsUniformOverItsBound() {
    RandomStream s = new RandomStreams(14).stream("masking");
    for (int bound : new int[] {7, 10, 64, 1000}) {
      long[] counts = new long[bound];
      for (int i = 0; i < N; i++) {
        counts[s.nextInt(bound)]++;
      }
      double expected = (double) N / bound;
      double chiSquare =
          Arrays.stream(counts).mapToDouble(c -> (c - expected) * (c - expected) / expected).sum();
      // mean bound-1, sd sqrt(2(bound-1)); 6 sd above the mean fails only for a broken generator
      assertThat(chiSquare)
          .as("chi-square for bound %d", bound)
          .isLessThan(bound - 1 + 6 * Math.sqrt(2.0 * (bound - 1)));
    }
  }

  @Test
  void nextIntReachesLargeBoundsEdges() {
    RandomStream s = new RandomStreams(15).stream("masking");
    int bound = Integer.MAX_VALUE;
    for (int i = 0; i < 1000; i++) {
      assertThat(s.nextInt(bound)).isBetween(0, bound - 1);
    }
    assertThat(s.nextInt(1)).isZero();
  }

  @Test
  void booleansAndFloatsAreBalanced() {
    RandomStream s = new RandomStreams(16).stream("gating");
    long trues = 0;
    double floatSum = 0;
    for (int i = 0; i < N; i++) {
      trues += s.nextBoolean() ? 1 : 0;
      float f = s.nextFloat();
      assertThat(f).isGreaterThanOrEqualTo(0f).isLessThan(1f);
      floatSum += f;
    }
    assertThat(trues / (double) N).isCloseTo(0.5, within(0.002));
    assertThat(floatSum / N).isCloseTo(0.5, within(0.002));
  }

  @Test
  void permutationsAreValidAndEachPositionIsUniform() {
    RandomStream s = new RandomStreams(17).stream("data-order");
    int n = 5;
    long[][] counts = new long[n][n];
    int rounds = 100_000;
    for (int r = 0; r < rounds; r++) {
      int[] p = s.permutation(n);
      assertThat(Arrays.stream(p).sorted().toArray()).containsExactly(0, 1, 2, 3, 4);
      for (int i = 0; i < n; i++) {
        counts[i][p[i]]++;
      }
    }
    for (long[] row : counts) {
      for (long c : row) {
        assertThat(c / (double) rounds).isCloseTo(0.2, within(0.01));
      }
    }
    assertThat(s.permutation(0)).isEmpty();
    assertThat(s.permutation(1)).containsExactly(0);
  }
}
