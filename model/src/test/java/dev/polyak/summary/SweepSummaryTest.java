package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.BadInputException;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * summary.avro of {@link SweepFixture}'s sweep against figures worked out by hand; the t-test
 * p-values and the t quantile are scipy 1.17's ({@code scipy.stats.ttest_rel}, {@code t.ppf}).
 */
class SweepSummaryTest {
  private static final double EPS = 1e-9;
  // scipy.stats.t.ppf(0.975, 2)
  private static final double T_975_2 = 4.302652729749462;

  @TempDir Path dir;

  private static SummaryRecord row(List<SummaryRecord> summary, String config) {
    return summary.stream().filter(s -> s.getConfig().equals(config)).findFirst().orElseThrow();
  }

  private static void assertStats(Stats s, int n, double mean, double std, double min, double max) {
    assertThat(s.getN()).isEqualTo(n);
    assertThat(s.getMean()).isCloseTo(mean, within(EPS));
    assertThat(s.getStd()).isCloseTo(std, within(EPS));
    assertThat(s.getMin()).isEqualTo(min);
    assertThat(s.getMax()).isEqualTo(max);
    double half = T_975_2 * std / Math.sqrt(n);
    assertThat(s.getCi95Low()).isCloseTo(mean - half, within(1e-8));
    assertThat(s.getCi95High()).isCloseTo(mean + half, within(1e-8));
  }

  @Test
  void theDenseConfigAcrossSeeds() {
    List<SummaryRecord> summary = SweepSummary.summarize(SweepFixture.standard().write(dir));

    SummaryRecord dense = row(summary, SweepFixture.DENSE);
    assertThat(dense.getBaseline()).isEqualTo(SweepFixture.BASELINE);
    assertThat(dense.getMethod()).isEqualTo("dense");
    assertThat(dense.getRatio()).isZero();
    assertThat(dense.getMetricName()).isEqualTo("perplexity");
    assertThat(
            List.of(dense.getRuns(), dense.getFinished(), dense.getDiverged(), dense.getFailed()))
        .containsExactly(3, 3, 0, 0);
    // final eval perplexity 100, 110, 120: mean 110, std 10, CI 110 -+ 4.3027 * 10 / sqrt 3
    assertStats(dense.getFinalEvalMetric(), 3, 110, 10, 100, 120);
    assertThat(dense.getFinalEvalMetric().getCi95Low()).isCloseTo(85.1586228824967, within(1e-8));
    assertThat(dense.getFinalEvalMetric().getCi95High()).isCloseTo(134.8413771175033, within(1e-8));
    assertStats(dense.getFinalTrainMetric(), 3, 100, 10, 90, 110);
    assertStats(dense.getFinalEvalLoss(), 3, 4.7, 0.1, 4.6, 4.8);
    // each dense run is its own target: seed 1 first dips to 109 <= 110 at step 20, the others
    // reach at 40
    assertThat(dense.getMatchedDense()).isEqualTo(3);
    assertThat(dense.getReachedDense()).isEqualTo(3);
    assertStats(dense.getStepsToDense(), 3, 100.0 / 3, Math.sqrt(400.0 / 3), 20, 40);
    assertThat(dense.getStepsRatioToDense()).isCloseTo(1.0, within(EPS));
    // elapsed = step / 10: 4, 2, 4 s; over the run's own seconds to the same figure
    assertStats(dense.getSecondsToDense(), 3, 10.0 / 3, Math.sqrt(4.0 / 3), 2, 4);
    assertThat(dense.getSecondsRatioToDense()).isCloseTo(1.0, within(EPS));
    assertThat(dense.getVersusDense()).isNull();
    assertThat(dense.getVersusRandom()).isNull();
    assertThat(dense.getPruningShare()).isZero();
  }

  @Test
  void aPrunedConfigAgainstDenseAndRandom() {
    List<SummaryRecord> summary = SweepSummary.summarize(SweepFixture.standard().write(dir));

    SummaryRecord gate = row(summary, SweepFixture.PL_GATE);
    assertThat(List.of(gate.getRuns(), gate.getFinished(), gate.getDiverged(), gate.getFailed()))
        .containsExactly(4, 3, 1, 0);
    // 98, 104, 119 (the diverged seed's 5000 counted, not averaged): deviations -9, -3, 12, std
    // sqrt(117)
    assertStats(gate.getFinalEvalMetric(), 3, 107, Math.sqrt(117), 98, 119);
    assertStats(gate.getFinalTrainMetric(), 3, 102, Math.sqrt(79), 95, 112);
    // targets 100, 110, 120 reached at steps 20 (99), 40 (104), 20 (119.5); dense's own reach at
    // 40, 20, 40
    assertThat(gate.getMatchedDense()).isEqualTo(3);
    assertThat(gate.getReachedDense()).isEqualTo(3);
    assertStats(gate.getStepsToDense(), 3, 80.0 / 3, Math.sqrt(400.0 / 3), 20, 40);
    assertThat(gate.getStepsRatioToDense()).isCloseTo((0.5 + 2 + 0.5) / 3, within(EPS));
    // elapsed = step / 10 + 2 s of pruning: 4, 6, 4 s, over dense's 4, 2, 4 s to reach the same
    // figure
    assertStats(gate.getSecondsToDense(), 3, 14.0 / 3, Math.sqrt(4.0 / 3), 4, 6);
    assertThat(gate.getSecondsRatioToDense()).isCloseTo((1 + 3 + 1) / 3.0, within(EPS));
    // differences to dense -2, -6, -1; scipy.stats.ttest_rel([98,104,119],[100,110,120])
    PairedComparison dense = gate.getVersusDense();
    assertThat(dense.getAgainst()).isEqualTo(SweepFixture.DENSE);
    assertThat(dense.getPairs()).isEqualTo(3);
    assertThat(dense.getMeanDifference()).isCloseTo(-3, within(EPS));
    assertThat(dense.getStdDifference()).isCloseTo(Math.sqrt(7), within(EPS));
    assertThat(dense.getTStatistic()).isCloseTo(-1.9639610121239313, within(1e-12));
    assertThat(dense.getPValue()).isCloseTo(0.18849732879931097, within(1e-12));
    // differences to random -7, -14, -6; scipy.stats.ttest_rel([98,104,119],[105,118,125])
    PairedComparison random = gate.getVersusRandom();
    assertThat(random.getAgainst()).isEqualTo(SweepFixture.RANDOM);
    assertThat(random.getPairs()).isEqualTo(3);
    assertThat(random.getMeanDifference()).isCloseTo(-9, within(EPS));
    assertThat(random.getStdDifference()).isCloseTo(Math.sqrt(19), within(EPS));
    assertThat(random.getTStatistic()).isCloseTo(-3.5762373640756184, within(1e-12));
    assertThat(random.getPValue()).isCloseTo(0.07007060307030762, within(1e-12));
    // 3 finished runs x 2 s of pruning over 3 x (4 + 2) s; the diverged run's time left out
    assertThat(gate.getPruningShare()).isCloseTo(1.0 / 3, within(EPS));
  }

  @Test
  void aConfigThatNeverReachesDenseAndAFailedRunCountedNotAveraged() {
    List<SummaryRecord> summary = SweepSummary.summarize(SweepFixture.standard().write(dir));

    SummaryRecord random = row(summary, SweepFixture.RANDOM);
    assertThat(
            List.of(
                random.getRuns(), random.getFinished(), random.getDiverged(), random.getFailed()))
        .containsExactly(4, 3, 0, 1);
    assertStats(random.getFinalEvalMetric(), 3, 116, Math.sqrt(103), 105, 125);
    assertThat(random.getMatchedDense()).isEqualTo(3);
    assertThat(random.getReachedDense()).isZero();
    assertThat(random.getStepsToDense()).isNull();
    assertThat(random.getStepsRatioToDense()).isNull();
    assertThat(random.getSecondsToDense()).isNull();
    assertThat(random.getSecondsRatioToDense()).isNull();
    // differences 5, 8, 5: t = 6 exactly; scipy.stats.ttest_rel([105,118,125],[100,110,120]).pvalue
    assertThat(random.getVersusDense().getTStatistic()).isCloseTo(6.0, within(1e-12));
    assertThat(random.getVersusDense().getPValue()).isCloseTo(0.02667147321542477, within(1e-12));
    assertThat(random.getVersusRandom()).isNull();
    // the failed run's 100 s of pruning are not in the share
    assertThat(random.getPruningShare()).isCloseTo(1.0 / 3, within(EPS));
  }

  @Test
  void theSummaryDoesNotDependOnTheOrderOfTheMetricRows() throws Exception {
    SweepFixture fixture = SweepFixture.standard();
    List<SummaryRecord> inOrder = SweepSummary.summarize(fixture.write(dir.resolve("ordered")));
    List<MetricRow> shuffled = new ArrayList<>(fixture.metrics());
    Collections.shuffle(shuffled, new Random(7));
    Path other = fixture.write(dir.resolve("shuffled"));
    AvroFiles.write(other.resolve(ReportFiles.METRICS), MetricRow.class, shuffled);

    assertThat(Files.readAllBytes(other.resolve(ReportFiles.METRICS)))
        .isNotEqualTo(Files.readAllBytes(dir.resolve("ordered").resolve(ReportFiles.METRICS)));
    assertThat(SweepSummary.summarize(other)).isEqualTo(inOrder);
  }

  @Test
  void writeStoresOneRowPerConfigSortedByConfig() {
    Path report = SweepFixture.standard().write(dir);
    List<SummaryRecord> written = SweepSummary.write(report);

    List<SummaryRecord> read =
        AvroFiles.read(report.resolve(ReportFiles.SUMMARY), SummaryRecord.class);
    assertThat(read).isEqualTo(written);
    assertThat(read)
        .extracting(SummaryRecord::getConfig)
        .containsExactly(SweepFixture.DENSE, SweepFixture.PL_GATE, SweepFixture.RANDOM);
  }

  @Test
  void aConfigWithoutFinishedRunsHasNoStatistics() {
    SweepFixture fixture = new SweepFixture();
    fixture.add(
        SweepFixture.run(SweepFixture.DENSE, "dense", 0, 0)
            .setStatus(RunStatus.DIVERGED)
            .setDivergedAtStep(20L)
            .setLastGoodStep(10)
            .setTrainSeconds(1)
            .setPruningSeconds(0)
            .build(),
        new double[] {300, 200});

    SummaryRecord only = SweepSummary.summarize(fixture.write(dir, false, false)).get(0);
    assertThat(List.of(only.getRuns(), only.getFinished(), only.getDiverged()))
        .containsExactly(1, 0, 1);
    assertThat(only.getFinalEvalMetric()).isNull();
    assertThat(only.getFinalTrainMetric()).isNull();
    assertThat(only.getMatchedDense()).isZero();
    assertThat(only.getPruningShare()).isNaN();
  }

  @Test
  void aMetricRowOfAnUnlistedRunIsBadInputNamingTheFile() {
    SweepFixture fixture = SweepFixture.standard();
    fixture
        .metrics()
        .add(MetricRow.newBuilder(fixture.metrics().get(0)).setRunId("stranger").build());
    Path report = fixture.write(dir);

    assertThatThrownBy(() -> SweepSummary.summarize(report))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(report.resolve(ReportFiles.METRICS).toString())
        .hasMessageContaining("stranger");
  }

  @Test
  void missingOrTruncatedFilesAreBadInputNamingTheFile() throws Exception {
    assertThatThrownBy(() -> SweepSummary.summarize(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(dir.resolve(ReportFiles.RUNS).toString());

    Path report = SweepFixture.standard().write(dir);
    Path metrics = report.resolve(ReportFiles.METRICS);
    byte[] bytes = Files.readAllBytes(metrics);
    Files.write(metrics, java.util.Arrays.copyOf(bytes, bytes.length - 40));
    assertThatThrownBy(() -> SweepSummary.summarize(report))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(metrics.toString());

    Path runs = report.resolve(ReportFiles.RUNS);
    Files.writeString(runs, "not avro");
    assertThatThrownBy(() -> SweepSummary.summarize(report))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(runs.toString());
  }

  @Test
  void aFileOfAnotherRecordTypeIsBadInput() {
    Path report = SweepFixture.standard().write(dir);
    AvroFiles.write(
        report.resolve(ReportFiles.METRICS),
        dev.polyak.schemas.RunRecord.class,
        SweepFixture.standard().runs());

    assertThatThrownBy(() -> SweepSummary.summarize(report))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(ReportFiles.METRICS)
        .hasMessageContaining("RunRecord");
  }
}
