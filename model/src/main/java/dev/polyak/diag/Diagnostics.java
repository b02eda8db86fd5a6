package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * Computes a {@link DiagnosticsReport} of a model's current state through its {@link
 * ProbeObjective}: per-structure NTK spectra, the whole-model kernel, Hutchinson Hessian traces and
 * the smoothness β, the gradient-based PL and Lipschitz estimates, all on the objective's probe
 * samples (a trainer's are chosen from the training split by the run's seed, {@link ProbeSet}; see
 * {@code dev.polyak.train.TrainerDiagnostics}). The weights are left exactly as they were;
 * gradients are left zero.
 *
 * <p>The work splits into independent parts that a distributed stage can compute on different
 * workers and {@link #assemble} afterwards: {@link #structures} for any subset of structures (their
 * kernels and spectra) and {@link #model} once (the rest's kernel, the Hessian traces and the
 * gradient statistics). {@link #run} gives bitwise what {@code assemble(structures(all), model)}
 * gives, so a report put together from parts is the one computed in one piece; with the whole model
 * it computes every structure's kernel and the rest's in one set of passes (the same chunks, so the
 * same sums in the same order), one pass fewer than the parts (DiagnosticsPartsTest).
 */
public final class Diagnostics {
  /** Kernels and spectra of some structures, by structure index. */
  public record StructurePart(
      TreeMap<Integer, double[]> kernels,
      TreeMap<Integer, Long> parameters,
      int passes,
      double seconds)
      implements Serializable {}

  /**
   * What is computed once per model state.
   *
   * @param restKernel K_rest (null without the whole model)
   * @param traces the Hessian traces (null without Hutchinson probes)
   * @param losses each probe batch's task loss
   * @param gradientNorms each probe batch's gradient norm
   * @param gradientNormSquared ‖∇L‖² of the whole probe set's mean loss
   * @param smoothness β by Lanczos or power iteration (null when the options skip it)
   * @param sampleLosses each probe's own task loss, evaluated alone
   * @param sampleGradientNorms the norm of the gradient of each probe's own loss
   */
  public record ModelPart(
      double[] restKernel,
      long restParameters,
      HessianTrace.Result traces,
      double[] losses,
      double[] gradientNorms,
      double gradientNormSquared,
      int passes,
      double kernelSeconds,
      double hessianSeconds,
      HessianEigenvalue.Estimates smoothness,
      double[] sampleLosses,
      double[] sampleGradientNorms,
      double smoothnessSeconds)
      implements Serializable {}

  /**
   * What {@link #assemble} needs of the model, without the model: its structures, which of them the
   * masks keep, and its number of trainable scalars.
   */
  public record Layout(List<Structure> structures, boolean[] kept, long parameters)
      implements Serializable {
    public static Layout of(MaskedModel model) {
      List<Structure> structures = model.structures();
      boolean[] kept = new boolean[structures.size()];
      for (int s = 0; s < kept.length; s++) {
        kept[s] = model.masks().kept(structures.get(s).layer(), structures.get(s).index());
      }
      return new Layout(List.copyOf(structures), kept, model.parameters().count());
    }
  }

  private Diagnostics() {}

  /**
   * The diagnostics of {@code objective}'s model; {@code probes} and {@code step} are recorded as
   * given.
   */
  public static DiagnosticsReport run(
      ProbeObjective objective, int[] probes, long step, long seed, DiagnosticsOptions options) {
    List<Structure> structures = objective.model().structures();
    StructurePart part;
    ModelPart modelPart;
    if (options.wholeModel()) {
      // every structure's kernel and the rest's in one set of passes: the chunks, and so each
      // kernel's sums, are those of the two separate calls, one pass fewer
      long started = System.nanoTime();
      JacobianKernels.Kernels all =
          JacobianKernels.compute(
              objective, s -> true, true, options.memoryBudgetBytes(), options.kernelPath());
      part = structurePart(all, (System.nanoTime() - started) / 1e9);
      modelPart = model(objective, options, seed, all, 0, 0);
    } else {
      part =
          structures(objective, options, s -> options.kinds().contains(structures.get(s).kind()));
      modelPart = model(objective, options, seed);
    }
    return assemble(
        Layout.of(objective.model()), probes, step, seed, options, List.of(part), modelPart);
  }

  /**
   * The kernels of the structures {@code selected} accepts (indices into the model's structures).
   */
  public static StructurePart structures(
      ProbeObjective objective, DiagnosticsOptions options, IntPredicate selected) {
    long started = System.nanoTime();
    JacobianKernels.Kernels kernels =
        JacobianKernels.compute(
            objective, selected, false, options.memoryBudgetBytes(), options.kernelPath());
    return structurePart(kernels, (System.nanoTime() - started) / 1e9);
  }

  /** The structure kernels {@code kernels} holds, with its passes and {@code seconds}. */
  private static StructurePart structurePart(JacobianKernels.Kernels kernels, double seconds) {
    TreeMap<Integer, double[]> byIndex = new TreeMap<>();
    TreeMap<Integer, Long> parameters = new TreeMap<>();
    for (int s = 0; s < kernels.structureKernels().length; s++) {
      if (kernels.structureKernels()[s] != null) {
        byIndex.put(s, kernels.structureKernels()[s]);
        parameters.put(s, kernels.structureParameters()[s]);
      }
    }
    return new StructurePart(byIndex, parameters, kernels.passes(), seconds);
  }

  /**
   * The rest's kernel (with the whole model), the Hessian traces (with probes), β (unless the
   * options skip it) and the gradient statistics, per batch and per sample.
   */
  public static ModelPart model(ProbeObjective objective, DiagnosticsOptions options, long seed) {
    long started = System.nanoTime();
    JacobianKernels.Kernels rest =
        options.wholeModel()
            ? JacobianKernels.compute(
                objective, s -> false, true, options.memoryBudgetBytes(), options.kernelPath())
            : null;
    return model(
        objective,
        options,
        seed,
        rest,
        rest == null ? 0 : rest.passes(),
        (System.nanoTime() - started) / 1e9);
  }

  /**
   * {@link #model(ProbeObjective, DiagnosticsOptions, long)} with the rest's kernel already
   * computed ({@code rest}, null without the whole model) in {@code passes} passes of its own.
   */
  private static ModelPart model(
      ProbeObjective objective,
      DiagnosticsOptions options,
      long seed,
      JacobianKernels.Kernels rest,
      int passes,
      double kernelSeconds) {
    long started = System.nanoTime();
    HessianTrace.Result traces =
        options.hutchinsonProbes() == 0
            ? null
            : HessianTrace.estimate(
                objective.first(options.batchSize()),
                options.hutchinsonProbes(),
                options.batchSize(),
                options.relativeStep(),
                seed);
    double hessianSeconds = (System.nanoTime() - started) / 1e9;
    started = System.nanoTime();
    HessianEigenvalue.Estimates smoothness =
        options.smoothness().maxIterations() == 0
            ? null
            : HessianEigenvalue.estimate(
                objective, options.smoothness(), options.batchSize(), options.relativeStep(), seed);
    double smoothnessSeconds = (System.nanoTime() - started) / 1e9;
    GradientNorms.BatchStatistics batches =
        new GradientNorms.BatchStatistics(
            GradientNorms.batches(objective.size(), options.batchSize()));
    List<NDArray> gradient =
        GradientNorms.meanLossGradient(objective, options.batchSize(), batches);
    double gradientSquared = GradientNorms.squaredNorm(gradient);
    gradient.forEach(NDArray::close);
    GradientNorms.BatchStatistics samples = new GradientNorms.BatchStatistics(objective.size());
    GradientNorms.meanLossGradient(objective, 1, samples).forEach(NDArray::close);
    return new ModelPart(
        rest == null ? null : rest.rest(),
        rest == null ? 0 : rest.restParameters(),
        traces,
        batches.losses(),
        batches.gradientNorms(),
        gradientSquared,
        passes,
        kernelSeconds,
        hessianSeconds,
        smoothness,
        samples.losses(),
        samples.gradientNorms(),
        smoothnessSeconds);
  }

  /**
   * The report from parts: structure rows for the structures of the requested kinds that some part
   * computed, in model order; the whole-model spectrum from K_rest + Σ_i K_i (structure order) when
   * the options ask for the whole model.
   */
  public static DiagnosticsReport assemble(
      Layout layout,
      int[] probes,
      long step,
      long seed,
      DiagnosticsOptions options,
      List<StructurePart> parts,
      ModelPart modelPart) {
    List<Structure> structures = layout.structures();
    TreeMap<Integer, double[]> kernels = new TreeMap<>();
    TreeMap<Integer, Long> parameters = new TreeMap<>();
    int passes = modelPart.passes();
    double kernelSeconds = modelPart.kernelSeconds();
    for (StructurePart part : parts) {
      kernels.putAll(part.kernels());
      parameters.putAll(part.parameters());
      passes += part.passes();
      kernelSeconds += part.seconds();
    }
    int n = probes.length;
    Spectrum whole = null;
    if (options.wholeModel()) {
      if (kernels.size() != structures.size() || modelPart.restKernel() == null) {
        throw new IllegalArgumentException(
            "the whole-model kernel needs all "
                + structures.size()
                + " structure kernels and the rest's; have "
                + kernels.size());
      }
      whole =
          Spectrum.of(
              JacobianKernels.sum(modelPart.restKernel(), new ArrayList<>(kernels.values())),
              n,
              options.floor());
    }
    HessianTrace.Result traces = modelPart.traces();
    HessianEigenvalue.Estimates smoothness = modelPart.smoothness();
    HessianEigenvalue.Result[] structureSmoothness =
        smoothness == null ? null : smoothness.structures();
    List<DiagnosticsReport.StructureDiagnostics> rows = new ArrayList<>();
    for (int s = 0; s < structures.size(); s++) {
      Structure structure = structures.get(s);
      if (options.kinds().contains(structure.kind()) && kernels.containsKey(s)) {
        rows.add(
            new DiagnosticsReport.StructureDiagnostics(
                structure.id(),
                structure.layer(),
                structure.index(),
                structure.kind(),
                layout.kept()[s],
                parameters.get(s),
                ActiveProbes.spectrum(kernels.get(s), n, options.floor(), options.activeProbes()),
                traces == null ? null : traces.structures()[s],
                ActiveProbes.of(kernels.get(s), n).length,
                structureSmoothness == null ? null : structureSmoothness[s]));
      }
    }
    double loss = 0;
    double maxBatchGradientNorm = 0;
    for (int b = 0; b < modelPart.losses().length; b++) {
      int size = Math.min(options.batchSize(), n - b * options.batchSize());
      loss += modelPart.losses()[b] * size / n;
      maxBatchGradientNorm = Math.max(maxBatchGradientNorm, modelPart.gradientNorms()[b]);
    }
    double gradientSquared = modelPart.gradientNormSquared();
    double mu = gradientSquared / (2 * loss);
    HessianEigenvalue.Result beta = smoothness == null ? null : smoothness.whole();
    Bounds.ConvergenceFactor factor =
        Bounds.convergenceFactor(beta == null ? Double.NaN : beta.eigenvalue(), mu);
    DiagnosticsReport.Conditioning conditioning =
        new DiagnosticsReport.Conditioning(
            loss,
            gradientSquared,
            maxBatchGradientNorm,
            whole == null ? Double.NaN : Math.sqrt(whole.lambdaMax()),
            gradientSquared / loss,
            mu,
            factor.value(),
            factor.flag(),
            max(modelPart.sampleGradientNorms()),
            max(modelPart.sampleLosses()),
            beta);
    return new DiagnosticsReport(
        step,
        seed,
        options,
        probes.clone(),
        rows,
        whole,
        modelPart.restParameters(),
        layout.parameters(),
        traces == null ? null : traces.whole(),
        traces == null ? null : traces.rest(),
        conditioning,
        kernelSeconds,
        modelPart.hessianSeconds(),
        passes,
        modelPart.smoothnessSeconds());
  }

  private static double max(double[] values) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      max = Math.max(max, v);
    }
    return max;
  }
}
