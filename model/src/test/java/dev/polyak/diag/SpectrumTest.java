package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Spectra of matrices built from known eigenvalues, and the Theorem 6 formulas by hand. */
class SpectrumTest {
  /** Q diag(λ) Qᵀ with Q a Householder reflection I − 2uuᵀ/uᵀu (orthogonal and symmetric). */
  private static double[] withEigenvalues(double[] lambda, double[] u) {
    int n = lambda.length;
    double uu = 0;
    for (double x : u) {
      uu += x * x;
    }
    double[][] q = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        q[i][j] = (i == j ? 1 : 0) - 2 * u[i] * u[j] / uu;
      }
    }
    double[] m = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < n; k++) {
          m[i * n + j] += q[i][k] * lambda[k] * q[j][k];
        }
      }
    }
    return m;
  }

  @Test
  void knownEigenvaluesGiveKappaAndEntropy() {
    Spectrum s =
        Spectrum.of(
            withEigenvalues(new double[] {3, 1, 4, 2}, new double[] {1, -2, 0.5, 3}),
            4,
            Spectrum.DEFAULT_FLOOR);
    assertThat(s.eigenvalues()).containsExactly(new double[] {1, 2, 3, 4}, within(1e-12));
    assertThat(s.conditionNumber()).isCloseTo(4, within(1e-12));
    assertThat(s.singular()).isFalse();
    double entropy = 0;
    for (double l : new double[] {1, 2, 3, 4}) {
      entropy -= l / 10 * Math.log(l / 10);
    }
    assertThat(s.entropy()).isCloseTo(entropy, within(1e-12));
    assertThat(s.trace()).isCloseTo(10, within(1e-12));
  }

  @Test
  void aRankDeficientKernelIsSingularWithInfiniteKappa() {
    double[] x = {1, 2, 3};
    double[] k = new double[9];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        k[i * 3 + j] = x[i] * x[j];
      }
    }
    Spectrum s = Spectrum.of(k, 3, Spectrum.DEFAULT_FLOOR);
    assertThat(s.singular()).isTrue();
    assertThat(s.conditionNumber()).isInfinite();
    assertThat(s.lambdaMax()).isCloseTo(14, within(1e-12));
    assertThat(s.entropy()).isCloseTo(0, within(1e-12)); // one non-zero eigenvalue
    // with no floor a rounding-level λ_min still counts as singular only if it is <= 0
    Spectrum zero = Spectrum.of(new double[4], 2, Spectrum.DEFAULT_FLOOR);
    assertThat(zero.singular()).isTrue();
    assertThat(zero.entropy()).isZero();
  }

  @Test
  void theFloorIsRelativeToLambdaMax() {
    Spectrum s = Spectrum.fromEigenvalues(new double[] {1e-9, 1}, 1e-8);
    assertThat(s.singular()).isTrue();
    Spectrum t = Spectrum.fromEigenvalues(new double[] {1e-9, 1}, 1e-10);
    assertThat(t.singular()).isFalse();
    assertThat(t.conditionNumber()).isCloseTo(1e9, within(1e-3));
  }

  @Test
  void theoremSixByHand() {
    // L_f = β = 2, µ = 0.5, M = 1, ε = 0.1, δ = 0.05: 6·4·1/(0.5·0.01·0.05) + 1/(2·0.01·0.05) =
    // 96000 + 1000
    assertThat(Bounds.sampleComplexity(2, 0.5, 1, 0.1, 0.05)).isCloseTo(97_000, within(1e-6));
    assertThat(Bounds.convergenceFactor(2, 0.5).value()).isEqualTo(0.75);
    assertThatThrownBy(() -> Bounds.sampleComplexity(2, 0.5, 1, 0.1, 1.5))
        .hasMessageContaining("delta");
  }

  @Test
  void probesAreDistinctSortedAndFixedBySeed() {
    int[] a = ProbeSet.select(5, 1000, 64);
    assertThat(a).hasSize(64).isSorted().doesNotHaveDuplicates();
    assertThat(ProbeSet.select(5, 1000, 64)).containsExactly(a);
    assertThat(ProbeSet.select(6, 1000, 64)).isNotEqualTo(a);
    assertThat(ProbeSet.select(5, 10, 10)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThatThrownBy(() -> ProbeSet.select(5, 10, 11)).hasMessageContaining("probe_samples");
  }
}
