package dev.polyak.diag;

import dev.polyak.nn.Structure;
import java.util.Set;

/**
 * What a diagnostic computes and how.
 *
 * @param probeSamples n, the probe-set size
 * @param kernel which kernel: the per-sample scalars the Jacobian rows differentiate
 * @param kinds the structure kinds to report (all kinds when the whole model is computed anyway)
 * @param wholeModel also compute K_rest and the whole-model kernel K (every parameter)
 * @param memoryBudgetBytes bound on the float32 Jacobian columns held at once
 * @param floor relative eigenvalue floor below which a kernel counts as singular (κ = +∞)
 * @param hutchinsonProbes Rademacher probes for the Hessian trace; 0 skips the trace
 * @param batchSize probe batch size for losses and gradient norms; the Hessian trace is that of the
 *     first batch's loss (one mini-batch, as PyHessian and the reference script do)
 * @param relativeStep finite-difference step of the Hessian-vector products, relative to RMS(w)
 * @param activeProbes a structure's spectrum is that of its kernel restricted to the probes it is
 *     active on (nonzero gradient row, K_i[b, b] > 0), so an inactive ReLU unit on some probes does
 *     not make it singular; false: over all n probes
 * @param smoothness the iteration for β (Lanczos by default), the dominant Hessian eigenvalue of
 *     the probe set's loss
 * @param kernelPath how the kernels' gradient columns are computed ({@link KernelPath}; per-sample
 *     by default)
 */
public record DiagnosticsOptions(
    int probeSamples,
    KernelKind kernel,
    Set<Structure.Kind> kinds,
    boolean wholeModel,
    long memoryBudgetBytes,
    double floor,
    int hutchinsonProbes,
    int batchSize,
    double relativeStep,
    boolean activeProbes,
    HessianEigenvalue.Settings smoothness,
    KernelPath kernelPath)
    implements java.io.Serializable {
  public static final int DEFAULT_PROBE_SAMPLES = 64;
  public static final int DEFAULT_HUTCHINSON_PROBES = 10;
  public static final int DEFAULT_BATCH_SIZE = 16;
  public static final double DEFAULT_RELATIVE_STEP = 1e-4;

  public DiagnosticsOptions {
    kinds = Set.copyOf(kinds);
    if (kernel == null) {
      throw new IllegalArgumentException("the diagnostics kernel must be set");
    }
    java.util.Objects.requireNonNull(smoothness, "smoothness");
    java.util.Objects.requireNonNull(kernelPath, "kernelPath");
    if (probeSamples < 2) {
      throw new IllegalArgumentException("probe_samples must be at least 2, got " + probeSamples);
    }
    if (hutchinsonProbes < 0
        || batchSize < 1
        || !(relativeStep > 0)
        || memoryBudgetBytes < 1
        || !(floor >= 0)) {
      throw new IllegalArgumentException("invalid diagnostics options: " + this);
    }
  }

  public static DiagnosticsOptions defaults() {
    return new DiagnosticsOptions(
        DEFAULT_PROBE_SAMPLES,
        KernelKind.PNTK,
        Structure.Kind.structural(),
        true,
        JacobianKernels.DEFAULT_MEMORY_BUDGET,
        Spectrum.DEFAULT_FLOOR,
        DEFAULT_HUTCHINSON_PROBES,
        DEFAULT_BATCH_SIZE,
        DEFAULT_RELATIVE_STEP,
        false,
        HessianEigenvalue.Settings.defaults(),
        KernelPath.DEFAULT);
  }

  public DiagnosticsOptions withProbeSamples(int n) {
    return new DiagnosticsOptions(
        n,
        kernel,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withKinds(Set<Structure.Kind> k, boolean whole) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        k,
        whole,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withHutchinsonProbes(int probes) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        probes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withKernel(KernelKind k) {
    return new DiagnosticsOptions(
        probeSamples,
        k,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withActiveProbes(boolean active) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        active,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withMemoryBudget(long bytes) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        kinds,
        wholeModel,
        bytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        kernelPath);
  }

  public DiagnosticsOptions withSmoothness(HessianEigenvalue.Settings settings) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        settings,
        kernelPath);
  }

  public DiagnosticsOptions withKernelPath(KernelPath path) {
    return new DiagnosticsOptions(
        probeSamples,
        kernel,
        kinds,
        wholeModel,
        memoryBudgetBytes,
        floor,
        hutchinsonProbes,
        batchSize,
        relativeStep,
        activeProbes,
        smoothness,
        path);
  }
}
