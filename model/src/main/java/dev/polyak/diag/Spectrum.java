package dev.polyak.diag;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The eigenvalues of a symmetric positive semi-definite kernel (float64, EJML's symmetric QR
 * algorithm) and what the paper reads from them: λ_min, λ_max, the condition number κ = λ_max /
 * λ_min and the spectral entropy ρ = −Σ λ̂ log λ̂ with λ̂ = λ / Σλ.
 *
 * <p>Eigenvalues at or below {@code floor · λ_max} (rounding turns an exactly singular kernel's
 * zero eigenvalues into tiny numbers of either sign) make the kernel <em>singular</em>: κ is then
 * reported as +∞ and {@link #singular()} is set, rather than a meaningless ratio. In the entropy,
 * eigenvalues below the floor count as zero (0 log 0 = 0). An all-zero kernel (a masked structure)
 * is singular with entropy 0.
 *
 * @param eigenvalues ascending
 */
public record Spectrum(double[] eigenvalues, double lambdaMin, double lambdaMax, double conditionNumber,
    double entropy, boolean singular, double trace) implements java.io.Serializable {
  /** The default relative floor: λ_min ≤ 1e-12 λ_max counts as singular. */
  public static final double DEFAULT_FLOOR = 1e-12;

  /** The spectrum of the symmetric {@code n × n} matrix {@code kernel} (row-major). */
  public static Spectrum of(double[] kernel, int n, double floor) {
    if (kernel.length != (long) n * n) {
      throw new IllegalArgumentException("kernel has " + kernel.length + " entries, not " + n + "x" + n);
    }
    DMatrixRMaj matrix = new DMatrixRMaj(n, n, true, kernel.clone());
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
    if (!eig.decompose(matrix)) {
      throw new ArithmeticException("the symmetric eigen-solver did not converge on a " + n + "x" + n + " kernel");
    }
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = eig.getEigenvalue(i).getReal();
    }
    Arrays.sort(values);
    return fromEigenvalues(values, floor);
  }

  /** The summary of known eigenvalues (any order). */
  public static Spectrum fromEigenvalues(double[] eigenvalues, double floor) {
    double[] values = eigenvalues.clone();
    Arrays.sort(values);
    double max = values[values.length - 1];
    double min = values[0];
    double threshold = floor * max;
    boolean singular = !(max > 0) || min <= threshold;
    double sum = 0;
    for (double v : values) {
      sum += v > threshold ? v : 0;
    }
    double entropy = 0;
    if (sum > 0) {
      for (double v : values) {
        if (v > threshold) {
          double p = v / sum;
          entropy -= p * Math.log(p);
        }
      }
    }
    double trace = 0;
    for (double v : values) {
      trace += v;
    }
    double kappa = singular ? Double.POSITIVE_INFINITY : max / min;
    return new Spectrum(values, min, max, kappa, entropy, singular, trace);
  }
}
