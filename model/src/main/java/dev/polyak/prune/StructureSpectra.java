package dev.polyak.prune;

import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.Spectrum;
import java.util.TreeMap;

/**
 * The spectrum of every structure's NTK kernel K_i = J_i J_iᵀ on the scoring samples (n = {@code
 * data.size()}, rows of J the per-sample scalar {@link ProbeObjective#output}), from the
 * diagnostics library: what kappa-rank ranks by and what pl-gate takes its features from.
 */
final class StructureSpectra {
  private StructureSpectra() {}

  /**
   * @param floor relative eigenvalue floor below which a kernel counts as singular ({@link
   *     Spectrum#of})
   * @param memoryBudgetBytes bound on the float32 Jacobian columns held at once
   * @return one spectrum per structure, in the model's structure order
   */
  static Spectrum[] of(ProbeObjective data, double floor, long memoryBudgetBytes) {
    int n = data.size();
    DiagnosticsOptions options =
        DiagnosticsOptions.defaults()
            .withProbeSamples(Math.max(2, n))
            .withMemoryBudget(memoryBudgetBytes);
    TreeMap<Integer, double[]> kernels = Diagnostics.structures(data, options, s -> true).kernels();
    Spectrum[] spectra = new Spectrum[data.model().structures().size()];
    for (int s = 0; s < spectra.length; s++) {
      spectra[s] = Spectrum.of(kernels.get(s), n, floor);
    }
    return spectra;
  }

  /** How many eigenvalues exceed {@code floor · λ_max} (0 for an all-zero kernel). */
  static int numericalRank(Spectrum spectrum, double floor) {
    double threshold = floor * spectrum.lambdaMax();
    int rank = 0;
    for (double v : spectrum.eigenvalues()) {
      rank += v > threshold ? 1 : 0;
    }
    return rank;
  }
}
