package dev.polyak.diag;

import java.util.stream.IntStream;

/**
 * The probes a structure is active on: those whose gradient row in its Jacobian is not zero, read
 * from its kernel's diagonal (K_i[b, b] = ‖J_i row b‖², averaged over the outputs of a projected
 * kernel). A ReLU unit that is off on probe b has a zero row there, so its kernel over all n probes
 * is singular; its kernel over its active probes is the principal submatrix on them.
 */
public final class ActiveProbes {
  private ActiveProbes() {}

  /** The indices b with K[b, b] > 0 of the row-major {@code n × n} kernel, ascending. */
  public static int[] of(double[] kernel, int n) {
    return IntStream.range(0, n).filter(b -> kernel[b * n + b] > 0).toArray();
  }

  /** The principal submatrix of {@code kernel} on rows and columns {@code probes}, row-major. */
  public static double[] restrict(double[] kernel, int n, int[] probes) {
    int m = probes.length;
    double[] sub = new double[m * m];
    for (int a = 0; a < m; a++) {
      for (int b = 0; b < m; b++) {
        sub[a * m + b] = kernel[probes[a] * n + probes[b]];
      }
    }
    return sub;
  }

  /**
   * The spectrum of {@code kernel} over the probes it is active on when {@code activeOnly} and at
   * least one is (a kernel active on none is all zero: its spectrum over all n, singular); over all
   * n probes otherwise.
   */
  public static Spectrum spectrum(double[] kernel, int n, double floor, boolean activeOnly) {
    int[] active = of(kernel, n);
    if (!activeOnly || active.length == n || active.length == 0) {
      return Spectrum.of(kernel, n, floor);
    }
    return Spectrum.of(restrict(kernel, n, active), active.length, floor);
  }
}
