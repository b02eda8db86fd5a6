package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.polyak.BadInputException;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.testing.TestRuns;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Diagnostics of a saved run: restored from its checkpoint alone, reproducible, leaving the weights
 * untouched.
 */
class DiagnosticsRunTest {
  @TempDir static Path dir;
  static Path checkpoint;

  @BeforeAll
  static void trainARun() throws Exception {
    List<Path> checkpoints = TestRuns.mlp(dir, 24, 2, 9, 20, 20);
    checkpoint = checkpoints.get(checkpoints.size() - 1);
  }

  private static DiagnosticsOptions options() {
    return DiagnosticsOptions.defaults().withProbeSamples(16).withHutchinsonProbes(4);
  }

  @Test
  void aCheckpointGivesBitwiseTheSameDiagnosticsTwiceAndKeepsItsWeights() {
    DiagnosticsReport first;
    try (RestoredRun run = RestoredRun.open(checkpoint, null, Device.cpu())) {
      assertThat(run.trainer().step()).isEqualTo(20);
      first = TrainerDiagnostics.run(run.trainer(), options());
      for (Map.Entry<String, NDArray> e : run.trainer().model().parameters().state().entrySet()) {
        Tensor saved = run.checkpoint().weights().get(e.getKey());
        assertThat(e.getValue().toFloatArray()).as(e.getKey()).containsExactly(saved.floats());
      }
    }
    DiagnosticsReport second;
    try (RestoredRun run = RestoredRun.open(checkpoint, null, Device.cpu())) {
      second = TrainerDiagnostics.run(run.trainer(), options());
    }
    assertThat(second.probes()).containsExactly(first.probes());
    assertThat(first.structures()).hasSize(48);
    for (int s = 0; s < first.structures().size(); s++) {
      DiagnosticsReport.StructureDiagnostics a = first.structures().get(s);
      DiagnosticsReport.StructureDiagnostics b = second.structures().get(s);
      assertThat(b.spectrum().eigenvalues()).containsExactly(a.spectrum().eigenvalues());
      assertThat(b.trace()).isEqualTo(a.trace());
    }
    assertThat(second.whole().eigenvalues()).containsExactly(first.whole().eigenvalues());
    assertThat(second.wholeTrace()).isEqualTo(first.wholeTrace());
    assertThat(second.conditioning()).isEqualTo(first.conditioning());
  }

  @Test
  void blockTracesAddUpToTheWholeTraceAndTheEstimatesAreConsistent() {
    try (RestoredRun run = RestoredRun.open(checkpoint, null, Device.cpu())) {
      DiagnosticsReport report = TrainerDiagnostics.run(run.trainer(), options());
      double sum = report.restTrace().trace();
      for (DiagnosticsReport.StructureDiagnostics s : report.structures()) {
        sum += s.trace().trace();
        if (s.spectrum().lambdaMax() == 0) { // a ReLU unit no probe activates
          assertThat(s.spectrum().singular()).isTrue();
          assertThat(s.spectrum().conditionNumber()).isInfinite();
        }
      }
      assertThat(sum)
          .isCloseTo(
              report.wholeTrace().trace(), within(1e-9 * Math.abs(report.wholeTrace().trace())));
      DiagnosticsReport.Conditioning c = report.conditioning();
      assertThat(c.plRatio()).isCloseTo(c.gradientNormSquared() / c.loss(), within(1e-12));
      assertThat(c.mu()).isCloseTo(c.plRatio() / 2, within(1e-12));
      // the whole probe set's gradient is the mean of the batch gradients, so no longer than the
      // longest
      assertThat(Math.sqrt(c.gradientNormSquared()))
          .isLessThanOrEqualTo(c.maxBatchGradientNorm() * (1 + 1e-6));
      assertThat(c.jacobianNorm()).isCloseTo(Math.sqrt(report.whole().lambdaMax()), within(1e-12));
      assertThat(
              report.restParameters()
                  + report.structures().stream()
                      .mapToLong(DiagnosticsReport.StructureDiagnostics::parameters)
                      .sum())
          .isEqualTo(run.trainer().model().parameters().count());
    }
  }

  @Test
  void aMissingCheckpointIsABadInputNamingTheFile() {
    Path missing = dir.resolve("run/checkpoints/none.safetensors");
    assertThatThrownBy(() -> RestoredRun.open(missing, null, Device.cpu()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(missing.toString());
  }
}
