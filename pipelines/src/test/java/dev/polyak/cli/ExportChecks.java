package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code polyak export} from a test, and the plain numpy forward passes in the test resources
 * {@code export/} run on its files, their float64 outputs compared with polyak's float32 ones.
 */
final class ExportChecks {
  private ExportChecks() {}

  /** {@code polyak export --checkpoint ckpt [extra] --out dir/name}, which must succeed. */
  static Path export(Path dir, Path ckpt, String name, String... extra) {
    Path out = dir.resolve(name);
    List<String> args =
        new java.util.ArrayList<>(List.of("export", "--checkpoint", ckpt.toString()));
    args.addAll(List.of(extra));
    args.addAll(List.of("--out", out.toString()));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.toString()).isZero();
    return out;
  }

  /**
   * {@code python3 <script> <model> <input> <out>} in {@code dir} (the script copied there with
   * {@code bert_forward.py}, whose loader and layers the others import); the rows of its output.
   */
  static double[][] numpy(Path dir, String scriptName, Path model, String input) throws Exception {
    for (String resource : List.of("bert_forward.py", scriptName)) {
      try (InputStream in = ExportChecks.class.getResourceAsStream("/export/" + resource)) {
        Files.write(dir.resolve(resource), in.readAllBytes());
      }
    }
    Path out = dir.resolve(model.getFileName() + ".out.txt");
    Process process =
        new ProcessBuilder(
                "python3",
                dir.resolve(scriptName).toString(),
                model.toString(),
                input,
                out.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return Files.readAllLines(out).stream()
        .map(
            line ->
                java.util.Arrays.stream(line.trim().split(" "))
                    .mapToDouble(Double::parseDouble)
                    .toArray())
        .toArray(double[][]::new);
  }

  /**
   * Asserts {@code numpy} has {@code polyak}'s shape and every entry within {@code relative} times
   * polyak's largest absolute output (which must not be zero).
   */
  static void assertClose(double[][] numpy, float[][] polyak, double relative, String what) {
    double scale = 0;
    for (float[] row : polyak) {
      for (float v : row) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    assertThat(scale).as(what + ": largest output").isGreaterThan(0);
    assertThat(numpy.length).as(what).isEqualTo(polyak.length);
    for (int i = 0; i < polyak.length; i++) {
      assertThat(numpy[i]).as(what).hasSize(polyak[i].length);
      for (int j = 0; j < polyak[i].length; j++) {
        assertThat(Math.abs(numpy[i][j] - polyak[i][j]))
            .as("%s output [%d, %d]", what, i, j)
            .isLessThanOrEqualTo(relative * scale);
      }
    }
  }
}
