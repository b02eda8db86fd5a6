package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportCommandTest {
  @TempDir Path dir;

  @Test
  void writesASweepOfTheAskedSizeAndTimesItsSummaryAndPage() {
    Path work = dir.resolve("work");

    BenchRun r =
        BenchRun.of(
            "report",
            "--runs",
            "50",
            "--evaluations",
            "4",
            "--configs",
            "12",
            "--work",
            work.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("50 runs in 12 configs (2 baselines, 4-5 seeds per config) x 4 evaluations")
        .contains("SweepSummary.write:")
        .contains("12 summary rows")
        .contains("HtmlReport.write:");
    Path report = work.resolve("report");
    List<RunRecord> runs = AvroFiles.read(report.resolve(ReportFiles.RUNS), RunRecord.class);
    assertThat(runs).hasSize(50);
    assertThat(runs.stream().map(RunRecord::getConfig).distinct()).hasSize(12);
    long rows = AvroFiles.forEach(report.resolve(ReportFiles.METRICS), MetricRow.class, row -> {});
    assertThat(rows).isEqualTo(runs.stream().mapToLong(run -> run.getLastGoodStep() / 100).sum());
    List<SummaryRecord> summary =
        AvroFiles.read(report.resolve(ReportFiles.SUMMARY), SummaryRecord.class);
    assertThat(summary).hasSize(12);
    assertThat(summary.stream().filter(s -> s.getMethod().equals("pl-gate")))
        .allSatisfy(s -> assertThat(s.getVersusDense()).isNotNull());
    assertThat(Files.exists(report.resolve(ReportFiles.HTML))).isTrue();
  }

  @Test
  void fillsBaselinesOfNineConfigsAndLeavesTheRestToTheLast() {
    BenchReportCommand.SyntheticSweepFiles files =
        new BenchReportCommand.SyntheticSweepFiles(12, 24, 3);

    assertThat(files.baselines()).isEqualTo(2);
    assertThat(files.seedsPerConfig()).isEqualTo("2");
  }
}
