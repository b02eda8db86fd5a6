package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import dev.polyak.train.Trainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes a {@link DiagnosticsReport} of a trainer's current state: per-structure NTK spectra,
 * the whole-model kernel, Hutchinson Hessian traces and the gradient-based PL estimates, all on a
 * probe set chosen from the training split by the run's seed ({@link ProbeSet}). The weights are
 * left exactly as they were; gradients are left zero.
 */
public final class Diagnostics {
  private Diagnostics() {}

  public static DiagnosticsReport run(Trainer trainer, DiagnosticsOptions options) {
    long seed = trainer.config().seed();
    int[] probes = ProbeSet.select(seed, trainer.trainSize(), options.probeSamples());
    return run(trainer.probes(probes, options.output()), probes, trainer.step(), seed, options);
  }

  /** The diagnostics of {@code objective}'s model; {@code probes} and {@code step} are recorded as given. */
  public static DiagnosticsReport run(ProbeObjective objective, int[] probes, long step, long seed,
      DiagnosticsOptions options) {
    MaskedModel model = objective.model();
    List<Structure> structures = model.structures();
    long started = System.nanoTime();
    JacobianKernels.Kernels kernels = JacobianKernels.compute(objective,
        s -> options.kinds().contains(structures.get(s).kind()), options.wholeModel(), options.memoryBudgetBytes());
    int n = objective.size();
    Spectrum whole = options.wholeModel() ? Spectrum.of(kernels.whole(), n, options.floor()) : null;
    List<Integer> reported = new ArrayList<>();
    List<Spectrum> spectra = new ArrayList<>();
    for (int s = 0; s < structures.size(); s++) {
      if (options.kinds().contains(structures.get(s).kind())) {
        reported.add(s);
        spectra.add(Spectrum.of(kernels.structureKernels()[s], n, options.floor()));
      }
    }
    double kernelSeconds = (System.nanoTime() - started) / 1e9;

    started = System.nanoTime();
    HessianTrace.Result traces = options.hutchinsonProbes() == 0 ? null
        : HessianTrace.estimate(objective, options.hutchinsonProbes(), options.batchSize(), options.relativeStep(), seed);
    double hessianSeconds = (System.nanoTime() - started) / 1e9;

    GradientNorms.BatchStatistics batches =
        new GradientNorms.BatchStatistics(GradientNorms.batches(n, options.batchSize()));
    List<NDArray> gradient = GradientNorms.meanLossGradient(objective, options.batchSize(), batches);
    double gradientSquared = GradientNorms.squaredNorm(gradient);
    gradient.forEach(NDArray::close);
    double loss = 0;
    double lipschitz = 0;
    for (int b = 0; b < batches.losses().length; b++) {
      int size = Math.min(options.batchSize(), n - b * options.batchSize());
      loss += batches.losses()[b] * size / n;
      lipschitz = Math.max(lipschitz, batches.gradientNorms()[b]);
    }
    double mu = gradientSquared / (2 * loss);
    DiagnosticsReport.Conditioning conditioning = new DiagnosticsReport.Conditioning(loss, gradientSquared, lipschitz,
        whole == null ? Double.NaN : Math.sqrt(whole.lambdaMax()), gradientSquared / loss, mu,
        Bounds.convergenceFactor(lipschitz, mu));

    List<DiagnosticsReport.StructureDiagnostics> rows = new ArrayList<>();
    for (int r = 0; r < reported.size(); r++) {
      int s = reported.get(r);
      Structure structure = structures.get(s);
      rows.add(new DiagnosticsReport.StructureDiagnostics(structure.id(), structure.layer(), structure.index(),
          structure.kind(), model.masks().kept(structure.layer(), structure.index()),
          kernels.structureParameters()[s], spectra.get(r), traces == null ? null : traces.structures()[s]));
    }
    return new DiagnosticsReport(step, seed, options, probes.clone(), rows, whole, kernels.restParameters(),
        traces == null ? null : traces.whole(), traces == null ? null : traces.rest(), conditioning, kernelSeconds,
        hessianSeconds, kernels.passes());
  }
}
