package dev.polyak.transforms;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.diag.DiagnosticRecords;
import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.HessianTrace;
import dev.polyak.diag.Spectrum;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.testing.TestRuns;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.TrainerDiagnostics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Diagnose} on the DirectRunner: one row per (checkpoint, structure) and one MODEL row per
 * checkpoint, each equal to what {@link Diagnostics#run} gives directly on the same checkpoint.
 */
class DiagnoseTest {
  @TempDir static Path dir;
  static List<Path> checkpoints;

  /** step → the direct diagnostic of that checkpoint (all kinds, whole model). */
  static final Map<Long, DiagnosticsReport> DIRECT = new HashMap<>();

  static final Map<Long, Long> PARAMETERS = new HashMap<>();
  static String runId;

  @BeforeAll
  static void trainARunWithTwoCheckpoints() throws Exception {
    checkpoints = TestRuns.mlp(dir, 12, 2, 5, 20, 10);
    assertThat(checkpoints).hasSize(2);
    for (Path checkpoint : checkpoints) {
      try (RestoredRun run = RestoredRun.open(checkpoint, null, Device.cpu())) {
        DiagnosticsReport report = TrainerDiagnostics.run(run.trainer(), options());
        DIRECT.put(report.step(), report);
        PARAMETERS.put(report.step(), run.trainer().model().parameters().count());
        runId = run.runId();
      }
    }
  }

  private static DiagnosticsOptions options() {
    return DiagnosticsOptions.defaults().withProbeSamples(12).withHutchinsonProbes(3);
  }

  @Test
  void everyStructureAndTheModelOncePerCheckpointWithTheDirectValues() {
    DirectOptions pipelineOptions = PipelineOptionsFactory.create().as(DirectOptions.class);
    pipelineOptions.setRunner(DirectRunner.class);
    pipelineOptions.setTargetParallelism(2);
    Pipeline pipeline = Pipeline.create(pipelineOptions);
    PCollection<DiagnosticRecord> records =
        pipeline
            .apply(Create.of(checkpoints.stream().map(Path::toString).toList()))
            .apply(Diagnose.of(options()));
    PAssert.that(records)
        .satisfies(
            rows -> {
              checkAgainstTheDirectReports(rows);
              return null;
            });
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    // the fan-out: one task per (checkpoint, layer) and one model task per checkpoint
    assertThat(counter(result, "layerTasks")).isEqualTo(2 * 2);
    assertThat(counter(result, "modelTasks")).isEqualTo(2);
  }

  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(Diagnose.ComputeFn.class, name))
                    .build());
    long total = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  private static void checkAgainstTheDirectReports(Iterable<DiagnosticRecord> rows) {
    Map<String, DiagnosticRecord> byKey = new HashMap<>();
    int count = 0;
    for (DiagnosticRecord row : rows) {
      count++;
      assertThat(byKey.put(row.getStep() + "/" + row.getStructureId(), row))
          .as("duplicate " + row.getStructureId())
          .isNull();
      assertThat(row.getRunId()).isEqualTo(runId);
    }
    int expected = 0;
    for (DiagnosticsReport report : DIRECT.values()) {
      expected += report.structures().size() + 1;
      assertThat(report.structures()).hasSize(24);
      for (DiagnosticsReport.StructureDiagnostics s : report.structures()) {
        DiagnosticRecord row = byKey.get(report.step() + "/" + s.id());
        assertThat(row).as(s.id()).isNotNull();
        assertThat(row.getLayer()).isEqualTo(s.layer());
        assertThat(row.getIndex()).isEqualTo(s.index());
        assertThat(row.getKind()).isEqualTo(DiagnosticKind.NEURON);
        assertThat(row.getKept()).isEqualTo(s.kept());
        assertThat(row.getParameters()).isEqualTo(s.parameters());
        assertSame(row, s.spectrum(), s.trace(), report);
      }
      DiagnosticRecord model = byKey.get(report.step() + "/" + DiagnosticRecords.MODEL_ID);
      assertThat(model).isNotNull();
      assertThat(model.getKind()).isEqualTo(DiagnosticKind.MODEL);
      assertThat(model.getLayer()).isNull();
      assertThat(model.getParameters()).isEqualTo(PARAMETERS.get(report.step()));
      assertSame(model, report.whole(), report.wholeTrace(), report);
      DiagnosticsReport.Conditioning c = report.conditioning();
      assertThat(
              List.of(
                  model.getLoss(),
                  model.getGradientNormSquared(),
                  model.getMaxBatchGradientNorm(),
                  model.getJacobianNorm(),
                  model.getPlRatio(),
                  model.getMu(),
                  model.getLipschitzValue(),
                  model.getBeta()))
          .containsExactly(
              c.loss(),
              c.gradientNormSquared(),
              c.maxBatchGradientNorm(),
              c.jacobianNorm(),
              c.plRatio(),
              c.mu(),
              c.lipschitzValue(),
              c.beta());
      assertThat(model.getConvergenceFactor())
          .isEqualTo(c.factorFlag() == null ? c.convergenceFactor() : null);
      assertThat(model.getConvergenceFactorFlag())
          .isEqualTo(c.factorFlag() == null ? null : c.factorFlag().spelling());
    }
    assertThat(count).isEqualTo(expected).isEqualTo(2 * (24 + 1));
  }

  /** Bitwise: Double.equals compares the bits. */
  private static void assertSame(
      DiagnosticRecord row,
      Spectrum spectrum,
      HessianTrace.Estimate trace,
      DiagnosticsReport report) {
    String what = row.getStep() + "/" + row.getStructureId();
    assertThat(row.getLambdaMin()).as(what).isEqualTo(spectrum.lambdaMin());
    assertThat(row.getLambdaMax()).as(what).isEqualTo(spectrum.lambdaMax());
    assertThat(row.getConditionNumber()).as(what).isEqualTo(spectrum.conditionNumber());
    assertThat(row.getEntropy()).as(what).isEqualTo(spectrum.entropy());
    assertThat(row.getSingular()).as(what).isEqualTo(spectrum.singular());
    assertThat(row.getHessianTrace()).as(what).isEqualTo(trace.trace());
    assertThat(row.getHessianTraceSe()).as(what).isEqualTo(trace.standardError());
    assertThat(row.getHessianProbes()).as(what).isEqualTo(3);
    assertThat(row.getProbeSamples()).isEqualTo(12);
    assertThat(row.getSeed()).isEqualTo(report.seed());
    assertThat(row.getScalarOutput()).isEqualTo("pntk");
    assertThat(row.getKernel()).isEqualTo("pntk");
  }
}
