package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.report.KappaHeatMap;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.testing.TestRuns;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.TrainerDiagnostics;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak diagnose}: table, Avro rows equal to a direct library call, heat map; bad input is
 * exit code 2.
 */
class DiagnoseCommandTest {
  @TempDir static Path dir;
  static Path checkpoint;

  @BeforeAll
  static void trainARun() throws Exception {
    List<Path> checkpoints = TestRuns.mlp(dir, 8, 2, 3, 10, 10);
    checkpoint = checkpoints.get(checkpoints.size() - 1);
  }

  @Test
  void writesOneRecordPerStructurePlusTheModelWithTheLibrarysValuesAndAHeatMap() throws Exception {
    Path out = dir.resolve("diag");
    CliRun run =
        CliRun.of(
            "diagnose",
            "--checkpoint",
            checkpoint.toString(),
            "--probe-samples",
            "8",
            "--hutchinson-probes",
            "2",
            "--out",
            out.toString());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("layer0/neuron0")
        .contains("layer1/neuron7")
        .contains("convergence factor")
        .contains("diagnostics-step10.avro");

    List<DiagnosticRecord> records = new ArrayList<>();
    try (DataFileReader<DiagnosticRecord> reader =
        new DataFileReader<>(
            out.resolve("diagnostics-step10.avro").toFile(),
            new SpecificDatumReader<>(DiagnosticRecord.class))) {
      reader.forEach(records::add);
    }
    DiagnosticsReport direct;
    try (RestoredRun restored = RestoredRun.open(checkpoint, null, Device.cpu())) {
      direct =
          TrainerDiagnostics.run(
              restored.trainer(),
              DiagnosticsOptions.defaults().withProbeSamples(8).withHutchinsonProbes(2));
    }
    assertThat(records).hasSize(direct.structures().size() + 1).hasSize(17);
    for (int s = 0; s < direct.structures().size(); s++) {
      DiagnosticsReport.StructureDiagnostics expected = direct.structures().get(s);
      DiagnosticRecord row = records.get(s);
      assertThat(row.getStructureId()).isEqualTo(expected.id());
      assertThat(row.getLambdaMin()).isEqualTo(expected.spectrum().lambdaMin());
      assertThat(row.getConditionNumber()).isEqualTo(expected.spectrum().conditionNumber());
      assertThat(row.getHessianTrace()).isEqualTo(expected.trace().trace());
    }
    assertThat(records).allSatisfy(r -> assertThat(r.getKernel()).isEqualTo("pntk"));
    assertThat(run.out()).contains("8 probe samples, pntk kernel");
    DiagnosticRecord model = records.get(16);
    assertThat(model.getKind()).isEqualTo(DiagnosticKind.MODEL);
    assertThat(model.getLambdaMax()).isEqualTo(direct.whole().lambdaMax());
    assertThat(model.getMu()).isEqualTo(direct.conditioning().mu());
    DiagnosticsReport.Conditioning c = direct.conditioning();
    assertThat(model.getBeta()).isEqualTo(c.beta());
    assertThat(model.getBetaIterations()).isEqualTo(c.smoothness().iterations());
    // no --beta-tolerance: Lanczos's own default
    assertThat(model.getBetaTolerance()).isEqualTo(1e-2);
    assertThat(model.getLipschitzValue()).isEqualTo(c.lipschitzValue());
    assertThat(model.getConvergenceFactor())
        .isEqualTo(c.factorFlag() == null ? c.convergenceFactor() : null);
    assertThat(run.out())
        .contains(
            String.format(
                Locale.ROOT,
                "smoothness beta %.6g (top Hessian eigenvalue, lanczos: %d Hessian-vector products",
                c.beta(),
                c.smoothness().iterations()))
        .contains(
            String.format(
                Locale.ROOT, "L_f (largest per-sample gradient norm) %.6g", c.lipschitzValue()))
        .contains("Theorem 6(a) convergence factor 1 - mu/beta ")
        .contains(
            String.format(
                Locale.ROOT,
                "Theorem 6(b) sample complexity n(epsilon=0.1, delta=0.05) <= %.4g"
                    + " with L_f above, M = %.6g (largest per-sample probe loss)",
                c.sampleComplexity(c.maxSampleLoss(), 0.1, 0.05),
                c.maxSampleLoss()));

    BufferedImage image = ImageIO.read(out.resolve("kappa-step10.png").toFile());
    KappaHeatMap map = KappaHeatMap.of(records);
    assertThat(image.getWidth()).isEqualTo(map.width());
    assertThat(image.getHeight()).isEqualTo(map.height());
    DiagnosticRecord first = records.get(0);
    assertThat(image.getRGB(map.cellCentre(0, 0).x, map.cellCentre(0, 0).y))
        .isEqualTo(map.colour(first).getRGB());
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("diagnostics-step10.avro", "kappa-step10.png");
    }

    // without the whole-model kernel: the same structure rows, and a MODEL row without a spectrum
    // whose loss,
    // gradient, PL and Hessian-trace figures are those of the full diagnostic
    Path light = dir.resolve("diag-light");
    CliRun lightRun =
        CliRun.of(
            "diagnose",
            "--checkpoint",
            checkpoint.toString(),
            "--probe-samples",
            "8",
            "--hutchinson-probes",
            "2",
            "--no-whole-model",
            "--sample-complexity",
            "0.2,0.1,3",
            "--out",
            light.toString());
    assertThat(lightRun.code()).as(lightRun.err()).isZero();
    List<DiagnosticRecord> lightRecords = new ArrayList<>();
    try (DataFileReader<DiagnosticRecord> reader =
        new DataFileReader<>(
            light.resolve("diagnostics-step10.avro").toFile(),
            new SpecificDatumReader<>(DiagnosticRecord.class))) {
      reader.forEach(lightRecords::add);
    }
    assertThat(lightRecords).hasSize(17);
    for (int s = 0; s < 16; s++) {
      assertThat(lightRecords.get(s).getLambdaMin()).isEqualTo(records.get(s).getLambdaMin());
    }
    DiagnosticRecord lightModel = lightRecords.get(16);
    assertThat(lightModel.getKind()).isEqualTo(DiagnosticKind.MODEL);
    assertThat(lightModel.getLambdaMin()).isNaN();
    assertThat(lightModel.getConditionNumber()).isNaN();
    assertThat(lightModel.getSingular()).isFalse();
    assertThat(lightModel.getJacobianNorm()).isNaN();
    assertThat(lightModel.getPlRatio()).isEqualTo(model.getPlRatio());
    assertThat(lightModel.getMu()).isEqualTo(direct.conditioning().mu());
    assertThat(lightModel.getMaxBatchGradientNorm()).isEqualTo(model.getMaxBatchGradientNorm());
    assertThat(lightModel.getHessianTrace()).isEqualTo(model.getHessianTrace());
    assertThat(lightModel.getBeta()).isEqualTo(model.getBeta());
    assertThat(lightRun.out())
        .contains(
            String.format(
                Locale.ROOT,
                "n(epsilon=0.2, delta=0.1) <= %.4g with L_f" + " above, M = 3.00000 (given)",
                c.sampleComplexity(3, 0.2, 0.1)));
    assertThat(lightRun.out())
        .containsPattern("model +yes +- +- +- +- +")
        .contains("sqrt(lambda_max(K)) - (no whole-model kernel)");
    assertThat(run.out()).containsPattern("sqrt\\(lambda_max\\(K\\)\\) [0-9]");
  }

  @Test
  void badInputIsExitCodeTwoNamingTheFileOrOption() throws Exception {
    Path missing = dir.resolve("nowhere.safetensors");
    CliRun none = CliRun.of("diagnose", "--checkpoint", missing.toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains(missing.toString());

    Path corrupt =
        Files.write(dir.resolve("corrupt.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    CliRun bad =
        CliRun.of(
            "diagnose", "--checkpoint", corrupt.toString(), "--out", dir.resolve("x").toString());
    assertThat(bad.code()).as(bad.err()).isEqualTo(2);
    assertThat(bad.err()).contains(corrupt.toString());

    CliRun kind =
        CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--structures", "wings");
    assertThat(kind.code()).isEqualTo(2);
    assertThat(kind.err()).contains("--structures").contains("wings");

    CliRun absent =
        CliRun.of(
            "diagnose",
            "--checkpoint",
            checkpoint.toString(),
            "--structures",
            "heads",
            "--out",
            dir.resolve("y").toString());
    assertThat(absent.code()).isEqualTo(2);
    assertThat(absent.err()).contains("--structures heads").contains("neurons");

    CliRun probes =
        CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--probe-samples", "1");
    assertThat(probes.code()).isEqualTo(2);
    assertThat(probes.err()).contains("--probe-samples");

    CliRun kernel = CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--kernel", "ntk");
    assertThat(kernel.code()).isEqualTo(2);
    assertThat(kernel.err())
        .contains(
            "--kernel: kernel must be pntk, target-logit, projected:k (k >= 1) or loss,"
                + " got 'ntk'");
    CliRun path =
        CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--kernel-path", "fast");
    assertThat(path.code()).isEqualTo(2);
    assertThat(path.err())
        .contains("--kernel-path: kernel_path must be auto, factored or per-sample, got 'fast'");
    CliRun method =
        CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--beta-method", "arnoldi");
    assertThat(method.code()).isEqualTo(2);
    assertThat(method.err())
        .contains("--beta-method: beta method must be lanczos or power, got 'arnoldi'");
    CliRun tolerance =
        CliRun.of("diagnose", "--checkpoint", checkpoint.toString(), "--beta-tolerance", "0");
    assertThat(tolerance.code()).isEqualTo(2);
    assertThat(tolerance.err()).contains("--beta-tolerance above 0, got 100 and 0.0");
    CliRun both =
        CliRun.of(
            "diagnose",
            "--checkpoint",
            checkpoint.toString(),
            "--kernel",
            "pntk",
            "--output",
            "loss");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("--output is the deprecated name of --kernel");
    for (String bound : new String[] {"0.1", "0.1,1.5", "0.1,0.05,-1", "a,b"}) {
      CliRun complexity =
          CliRun.of(
              "diagnose", "--checkpoint", checkpoint.toString(), "--sample-complexity", bound);
      assertThat(complexity.code()).as(bound).isEqualTo(2);
      assertThat(complexity.err()).contains("--sample-complexity").contains(bound);
    }
    assertThat(dir.resolve("x")).doesNotExist();
    assertThat(dir.resolve("y")).doesNotExist();
  }
}
