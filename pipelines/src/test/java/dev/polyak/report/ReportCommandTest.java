package dev.polyak.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.cli.PolyakCli;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.SweepFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak report --sweep DIR}: both files from report/*.avro, the compact table, exit 2 on
 * bad input.
 */
class ReportCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run polyak(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolyakCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void regeneratesTheSummaryAndThePageAndPrintsTheTable() {
    Path report = SweepFixture.standard().write(dir.resolve("report"));

    Run run = polyak("report", "--sweep", dir.toString());

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(report.resolve("report.html")).isRegularFile();
    assertThat(AvroFiles.read(report.resolve("summary.avro"), SummaryRecord.class)).hasSize(3);
    assertThat(run.out()).contains("report: " + report.resolve("report.html"));
    assertThat(run.out().lines().filter(l -> l.contains(" | ")).toList())
        .containsExactly(
            "config                             | finished | final eval (mean +- std) | vs dense p",
            "model=mlp method=dense             |      3/3 | 110 +- 10 perplexity     | -",
            "model=mlp method=pl-gate ratio=0.5 |      3/4 | 107 +- 10.82 perplexity  | 0.1885",
            "model=mlp method=random ratio=0.5  |      3/4 | 116 +- 10.15 perplexity  | 0.02667");
  }

  @Test
  void withoutRunsAvroItNamesTheFileAndExitsWith2() throws Exception {
    Path report = SweepFixture.standard().write(dir.resolve("report"));
    Files.delete(report.resolve("runs.avro"));

    Run run = polyak("report", "--sweep", dir.toString());

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("polyak: error: " + report.resolve("runs.avro"));
    assertThat(report.resolve("report.html")).doesNotExist();
  }

  @Test
  void aTruncatedFileIsNamedAndNothingIsWritten() throws Exception {
    Path report = SweepFixture.standard().write(dir.resolve("report"));
    Path metrics = report.resolve("metrics.avro");
    byte[] bytes = Files.readAllBytes(metrics);
    Files.write(metrics, Arrays.copyOf(bytes, bytes.length * 2 / 3));

    Run run = polyak("report", "--sweep", dir.toString());

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains(metrics.toString()).contains("truncated");
    assertThat(report.resolve("summary.avro")).doesNotExist();
    assertThat(report.resolve("report.html")).doesNotExist();
  }

  @Test
  void itHasHelp() {
    Run run = polyak("report", "--help");

    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("Usage: polyak report").contains("--sweep");
  }

  @Test
  void aSweepWithoutReportFolderIsBadInput() {
    Run run = polyak("report", "--sweep", dir.resolve("nowhere").toString());

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains(dir.resolve("nowhere").resolve("report").toString());
  }
}
