package dev.polyak.random;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The position is the whole state: seeking to a stored position continues exactly. */
class RandomStreamSeekTest {
  /** A mixed workload touching every kind of draw. */
  private static double[] workload(RandomStream s) {
    float[] g = new float[3];
    float[] u = new float[3];
    s.fillGaussian(g, 0.02f);
    s.fillUniform(u, -1f, 1f);
    int[] p = s.permutation(17);
    return new double[] {
      s.nextLong(),
      s.nextInt(7),
      s.nextInt(1 << 20),
      s.nextDouble(),
      s.nextFloat(),
      s.nextGaussian(),
      s.nextBoolean() ? 1 : 0,
      g[0],
      g[2],
      u[1],
      p[0],
      p[16]
    };
  }

  @Test
  void seekToAStoredPositionReproducesTheContinuation() {
    RandomStream s = new RandomStreams(5).stream("augmentation");
    workload(s);
    long checkpoint = s.position();
    double[] continuation = workload(s);

    RandomStream resumed = new RandomStreams(5).stream("augmentation");
    resumed.seek(checkpoint);
    assertThat(workload(resumed)).isEqualTo(continuation);

    s.seek(checkpoint);
    assertThat(workload(s)).isEqualTo(continuation);
  }

  @Test
  void positionCountsDraws() {
    RandomStream s = new RandomStreams(5).stream("probes");
    s.nextLong();
    s.nextDouble();
    s.nextGaussian();
    assertThat(s.position()).isEqualTo(4);
    s.fillGaussian(new float[10], 1f);
    assertThat(s.position()).isEqualTo(24);
  }

  @Test
  void copyIsIndependent() {
    RandomStream s = new RandomStreams(5).stream("gating");
    s.nextLong();
    RandomStream c = s.copy();
    long a = s.nextLong();
    assertThat(c.position()).isEqualTo(1);
    assertThat(c.nextLong()).isEqualTo(a);
  }
}
