package dev.polyak.diag;

import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link DiagnosticsReport} as {@link DiagnosticRecord} rows: one per reported structure, in the
 * model's order, then the whole-model row when the report computed the whole-model kernel.
 */
public final class DiagnosticRecords {
  /** The structure id of the whole-model row. */
  public static final String MODEL_ID = "model";

  /** The MODEL row's spectrum when the whole-model kernel was not computed. */
  private static final Spectrum NO_KERNEL =
      new Spectrum(
          new double[0], Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, Double.NaN);

  private DiagnosticRecords() {}

  /** The rows of {@code report}, computed on the checkpoint file named {@code checkpoint}. */
  public static List<DiagnosticRecord> of(
      String runId, String checkpoint, DiagnosticsReport report) {
    List<DiagnosticRecord> rows = structures(runId, report);
    rows.add(model(runId, report));
    rows.forEach(row -> row.setCheckpoint(checkpoint));
    return rows;
  }

  /** One row per structure of {@code report}, in the model's order. */
  public static List<DiagnosticRecord> structures(String runId, DiagnosticsReport report) {
    List<DiagnosticRecord> rows = new ArrayList<>();
    for (DiagnosticsReport.StructureDiagnostics s : report.structures()) {
      DiagnosticRecord.Builder row =
          common(runId, report, s.spectrum(), s.trace(), s.smoothness())
              .setStructureId(s.id())
              .setLayer(s.layer())
              .setIndex(s.index())
              .setKind(DiagnosticKind.valueOf(s.kind().name()))
              .setKept(s.kept())
              .setParameters(s.parameters())
              .setActiveProbes(s.activeProbes());
      rows.add(row.build());
    }
    return rows;
  }

  /**
   * The whole-model row: the spectrum of K, tr(H), β and the conditioning estimates. Without the
   * whole-model kernel (the options skipped it) its spectrum fields are NaN, not singular, and the
   * loss, gradient, PL, µ, L_f, β and Hessian-trace figures are there all the same.
   */
  public static DiagnosticRecord model(String runId, DiagnosticsReport report) {
    DiagnosticsReport.Conditioning c = report.conditioning();
    return common(
            runId,
            report,
            report.whole() != null ? report.whole() : NO_KERNEL,
            report.wholeTrace(),
            c.smoothness())
        .setStructureId(MODEL_ID)
        .setKind(DiagnosticKind.MODEL)
        .setKept(true)
        .setParameters(report.totalParameters())
        .setLoss(c.loss())
        .setGradientNormSquared(c.gradientNormSquared())
        .setMaxBatchGradientNorm(c.maxBatchGradientNorm())
        .setJacobianNorm(c.jacobianNorm())
        .setPlRatio(c.plRatio())
        .setMu(c.mu())
        .setConvergenceFactor(c.factorFlag() == null ? c.convergenceFactor() : null)
        .setConvergenceFactorFlag(c.factorFlag() == null ? null : c.factorFlag().spelling())
        .setLipschitzValue(c.lipschitzValue())
        .build();
  }

  /** The CLI spelling of a scalar output, as the records carry it. */
  public static String outputName(ScalarOutput output) {
    return output.id();
  }

  private static DiagnosticRecord.Builder common(
      String runId,
      DiagnosticsReport report,
      Spectrum spectrum,
      HessianTrace.Estimate trace,
      HessianEigenvalue.Result smoothness) {
    return DiagnosticRecord.newBuilder()
        .setRunId(runId)
        .setStep(report.step())
        .setLayer(null)
        .setIndex(null)
        .setLambdaMin(spectrum.lambdaMin())
        .setLambdaMax(spectrum.lambdaMax())
        .setConditionNumber(spectrum.conditionNumber())
        .setEntropy(spectrum.entropy())
        .setSingular(spectrum.singular())
        .setEigenvalueFloor(report.options().floor())
        .setHessianTrace(trace == null ? null : trace.trace())
        .setHessianTraceSe(trace == null ? null : trace.standardError())
        .setHessianProbes(trace == null ? null : trace.probes())
        .setBeta(smoothness == null ? null : smoothness.eigenvalue())
        .setBetaIterations(smoothness == null ? null : smoothness.iterations())
        .setBetaConverged(smoothness == null ? null : smoothness.converged())
        .setBetaMethod(smoothness == null ? null : report.options().smoothness().method().id())
        .setBetaTolerance(smoothness == null ? null : report.options().smoothness().tolerance())
        .setProbeSamples(report.probes().length)
        .setSeed(report.seed())
        .setScalarOutput(outputName(report.options().kernel().output()))
        .setKernel(report.options().kernel().toString())
        .setActiveProbesOnly(report.options().activeProbes());
  }
}
