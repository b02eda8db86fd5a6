package dev.polyak.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.cli.PolyakCli;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.FullSweepComparison;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import dev.polyak.schemas.RungStats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.SweepFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
  void testsTheClaimsOfTheSweepFileKeptInTheFolder() throws Exception {
    Path report = SweepFixture.standard().write(dir.resolve("report"));
    Files.writeString(
        dir.resolve("sweep.yaml"),
        """
        model: mlp
        data: shards
        steps: 40
        grid: {method: [dense, pl-gate, random], ratio: [0.5], seed: 0..2}
        claims:
          - {id: plgate-lower, text: pl-gate ends lower than dense, statistic: final_metric,
             config: {method: pl-gate}, against: {method: dense}, direction: lower, paper: Table 1}
          - {id: random-higher, text: random ends higher than dense, statistic: final_metric,
             config: {method: random}, against: {method: dense}, direction: higher}
          - {id: random-lower, text: random ends lower than dense, statistic: final_metric,
             config: {method: random}, against: {method: dense}, direction: lower}
        """);

    Run run = polyak("report", "--sweep", dir.toString());

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(report.resolve("claims.avro")).isRegularFile();
    // final perplexities: dense 100, 110, 120; pl-gate 98, 104, 119; random 105, 118, 125:
    // differences -2, -6, -1 and 5, 8, 5, intervals mean -+ t(0.975; 2) s / sqrt 3 with
    // t(0.975; 2) = 4.302653 (table), s^2 = 7 and 3
    assertThat(run.out().lines().filter(l -> l.startsWith("claim ")).toList())
        .containsExactly(
            "claim plgate-lower: INCONCLUSIVE, final_metric method=pl-gate vs method=dense (lower"
                + " claimed): -3 [-9.572, 3.572] (n = 3)",
            "claim random-higher: SUPPORTED, final_metric method=random vs method=dense (higher"
                + " claimed): 6 [1.697, 10.3] (n = 3)",
            "claim random-lower: CONTRADICTED, final_metric method=random vs method=dense (lower"
                + " claimed): 6 [1.697, 10.3] (n = 3)");
    String page = Files.readString(report.resolve("report.html"));
    assertThat(HtmlTables.headings(page)).startsWith("Claims", "Summary");
    List<List<String>> rows = HtmlTables.rows(page, "claims");
    assertThat(rows).hasSize(3);
    assertThat(rows.get(0))
        .containsExactly(
            "plgate-lower\npl-gate ends lower than dense\npaper: Table 1",
            "final_metric\nperplexity, lower claimed",
            "method=pl-gate\nvs method=dense",
            "3",
            "107",
            "110",
            "-3\n[-9.572, 3.572]",
            "inconclusive at this scale",
            "95 % interval [-9.572, 3.572] contains 0: inconclusive at this scale. n = 3 pairs,"
                + " t(0.975; 2) = 4.303. 1 run(s) of the config had no single run to pair with.");
    assertThat(rows.get(1).get(7)).isEqualTo("supported");
    assertThat(rows.get(2).get(7)).isEqualTo("contradicted");
    assertThat(rows.get(2).get(8))
        .startsWith("95 % interval [1.697, 10.30] lies above 0, against the paper's claim.");

    // without claims in the sweep file, claims.avro and the section go
    Files.writeString(dir.resolve("sweep.yaml"), "model: mlp\n");
    assertThat(polyak("report", "--sweep", dir.toString()).code()).isZero();
    assertThat(report.resolve("claims.avro")).doesNotExist();
    assertThat(HtmlTables.headings(Files.readString(report.resolve("report.html"))))
        .doesNotContain("Claims");
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

  /**
   * {@code --full-sweep}: the fixture sweep trained to the end is the full sweep; an ASHA sweep of
   * the same cells stopped dense seed 0 (best there: 100 perplexity) at rung 30 and let pl-gate
   * seed 0 (best there: 98) through.
   */
  @Test
  void comparesEarlyStoppingWithAFullSweepOfTheSameCells() {
    Path full = dir.resolve("full");
    SweepFixture.standard().write(full.resolve("report"));
    Path asha = dir.resolve("asha");
    SweepFixture fixture = SweepFixture.standard();
    String dense0 = SweepFixture.runId(SweepFixture.DENSE, 0);
    List<RunRecord> runs =
        fixture.runs().stream()
            .map(
                r ->
                    r.getRunId().equals(dense0)
                        ? RunRecord.newBuilder(r)
                            .setStatus(RunStatus.STOPPED)
                            .setStoppedAtRung(30L)
                            .setLastGoodStep(30)
                            .setTrainSeconds(3)
                            .setFinalEvalMetric(null)
                            .build()
                        : r)
            .toList();
    fixture.runs().clear();
    fixture.runs().addAll(runs);
    Path report = fixture.write(asha.resolve("report"));
    // Rung 30's signal is the eval metric there: dense 120, 115, 125; pl-gate 97, 112, 118.
    List<RungDecision> decisions = new ArrayList<>();
    double[][] at30 = {{120, 115, 125}, {97, 112, 118}};
    String[] configs = {SweepFixture.DENSE, SweepFixture.PL_GATE};
    for (int c = 0; c < 2; c++) {
      for (int seed = 0; seed < 3; seed++) {
        decisions.add(
            RungDecision.newBuilder()
                .setRunId(SweepFixture.runId(configs[c], seed))
                .setConfig(configs[c])
                .setSeed(seed)
                .setRung(30)
                .setSignal("eval")
                .setValue(at30[c][seed])
                .setContinues(!(c == 0 && seed == 0))
                .setRank(1)
                .setCompared(1)
                .setKept(1)
                .setReduction(3)
                .setSeenRunIds(List.of())
                .setDecidedAtMillis(seed)
                .build());
      }
    }
    AvroFiles.write(report.resolve("early_stopping.avro"), RungDecision.class, decisions);

    Run run = polyak("report", "--sweep", asha.toString(), "--full-sweep", full.toString());

    assertThat(run.code()).as(run.err()).isZero();
    List<SummaryRecord> summary =
        AvroFiles.read(report.resolve("summary.avro"), SummaryRecord.class);
    FullSweepComparison dense = summary.get(0).getEarlyStopping().getFullSweep();
    assertThat(summary.get(0).getConfig()).isEqualTo(SweepFixture.DENSE);
    assertThat(dense.getBestSeed()).isZero();
    assertThat(dense.getBestFinalEvalMetric()).isEqualTo(100.0);
    assertThat(dense.getBestSurvived()).isFalse();
    assertThat(dense.getBestStoppedAtRung()).isEqualTo(30L);
    // dense at rung 30: signals 120, 115, 125 rank 2, 1, 3; full finals 100, 110, 120 rank 1, 2, 3:
    // sum d^2 = 2, rho = 1 - 12 / 24 = 0.5 over all three (its own finals: two survivors, none).
    RungStats denseRung = summary.get(0).getEarlyStopping().getRungs().get(0);
    assertThat(denseRung.getFullSpearman()).isEqualTo(0.5);
    assertThat(denseRung.getSpearman()).isNull();
    FullSweepComparison plGate = summary.get(1).getEarlyStopping().getFullSweep();
    assertThat(plGate.getBestSeed()).isZero();
    assertThat(plGate.getBestSurvived()).isTrue();
    assertThat(summary.get(2).getEarlyStopping()).isNull(); // random: no decisions
    assertThat(report.resolve("report.html"))
        .content()
        .contains("seed 0 (100 perplexity, best of 3): stopped at 30")
        .contains("seed 0 (98 perplexity, best of 3): survived")
        .contains("<td class=\"num\">0.50 (3)</td>");

    // A plain report has no full sweep to compare with.
    assertThat(polyak("report", "--sweep", asha.toString()).code()).isZero();
    assertThat(
            AvroFiles.read(report.resolve("summary.avro"), SummaryRecord.class)
                .get(0)
                .getEarlyStopping()
                .getFullSweep())
        .isNull();
    assertThat(report.resolve("report.html")).content().doesNotContain("full sweep's best seed");

    // A sweep that stopped runs is no full sweep: exit 2 naming its runs.avro.
    Run wrong = polyak("report", "--sweep", full.toString(), "--full-sweep", asha.toString());
    assertThat(wrong.code()).isEqualTo(2);
    assertThat(wrong.err())
        .contains(report.resolve("runs.avro") + ": not a full sweep: run " + dense0);
  }
}
