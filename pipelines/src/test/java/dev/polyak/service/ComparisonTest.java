package dev.polyak.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.schemas.PairedComparison;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.Stats;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A comparison (methods × seeds) is a sweep: its sweep file holds the cells of the hand-written
 * sweep, and run through {@link Sweeps} its statistics are the seed statistics of its runs' own
 * records, computed here by hand.
 */
class ComparisonTest {
  private static final List<String> METHODS = List.of("dense", "random", "magnitude");
  private static final List<Long> SEEDS = List.of(0L, 1L, 2L);

  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 4, 32);
  }

  private static Comparison comparison(Path data) {
    return new Comparison(
        data, "mlp", "train", null, METHODS, SEEDS, 12, 4, 0.5, List.of(), 4, 32, 8);
  }

  @Test
  void itsSweepFileHasTheCellsOfTheHandWrittenSweep() {
    SweepSpec handWritten =
        SweepSpec.parse(
            String.join(
                "\n",
                "model: mlp",
                "data: " + shards.toAbsolutePath(),
                "train_split: train",
                "steps: 12",
                "batch_size: 8",
                "eval_every: 4",
                "eval_samples: 32",
                "pruning: {step: 4}",
                "grid:",
                "  method: [dense, random, magnitude]",
                "  ratio: [0.5]",
                "  seed: 0..2",
                ""),
            null);

    SweepSpec written = comparison(shards).writeSweepFile(dir.resolve("written/sweep.yaml"));

    assertThat(written.cells())
        .extracting(Cell::runId)
        .containsExactlyElementsOf(handWritten.cells().stream().map(Cell::runId).toList());
    assertThat(written.cells())
        .extracting(Cell::config)
        .containsExactlyElementsOf(handWritten.cells().stream().map(Cell::config).toList());
    assertThat(written.cells()).hasSize(METHODS.size() * SEEDS.size());
  }

  @Test
  void aShardPathThatYamlWouldReadOtherwiseArrivesUnchanged() {
    Path odd = dir.resolve("odd: \"quoted\" # not a comment \\ [x]");

    SweepSpec written = comparison(odd).writeSweepFile(dir.resolve("odd/sweep.yaml"));

    assertThat(written.cells())
        .allSatisfy(c -> assertThat(c.spec().data()).isEqualTo(odd.toAbsolutePath()));
  }

  @Test
  void itsSummaryIsTheSeedStatisticsOfItsRuns() {
    Path folder = dir.resolve("compared");
    SweepSpec sweep = comparison(shards).writeSweepFile(folder.resolve("sweep.yaml"));

    SweepReport report =
        Sweeps.run(
            Sweeps.plan(sweep, folder, RunPolicy.standard()),
            Sweeps.Execution.of(RunnerSettings.direct(2)));

    List<RunRecord> runs =
        AvroFiles.read(report.folder().resolve(ReportFiles.RUNS), RunRecord.class);
    assertThat(runs)
        .hasSize(9)
        .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
    assertThat(report.summary())
        .extracting(SummaryRecord::getMethod)
        .containsExactlyInAnyOrderElementsOf(METHODS);
    for (SummaryRecord s : report.summary()) {
      double[] eval = finalEval(runs, s.getMethod());
      Stats stats = s.getFinalEvalMetric();
      assertThat(stats.getN()).isEqualTo(3);
      assertThat(stats.getMean()).isCloseTo((eval[0] + eval[1] + eval[2]) / 3, within(1e-12));
      assertThat(stats.getStd()).isCloseTo(sampleStd(eval), within(1e-12));
      if (s.getMethod().equals("dense")) {
        assertThat(s.getVersusDense()).isNull();
        continue;
      }
      // The paired t-test against dense over 3 seeds: Student's t with 2 degrees of freedom has the
      // closed-form two-sided p = 1 - |t| / sqrt(2 + t^2).
      double[] dense = finalEval(runs, "dense");
      double[] differences = {eval[0] - dense[0], eval[1] - dense[1], eval[2] - dense[2]};
      double mean = (differences[0] + differences[1] + differences[2]) / 3;
      double std = sampleStd(differences);
      PairedComparison versus = s.getVersusDense();
      assertThat(versus.getPairs()).isEqualTo(3);
      assertThat(versus.getMeanDifference()).isCloseTo(mean, within(1e-12));
      if (std == 0) {
        assertThat(versus.getPValue()).isNull();
      } else {
        double t = mean / (std / Math.sqrt(3));
        assertThat(versus.getPValue())
            .isCloseTo(1 - Math.abs(t) / Math.sqrt(2 + t * t), within(1e-9));
      }
    }
    // The report regenerated from the files alone is the same report, table and all.
    SweepReport again = Reports.regenerate(folder, java.util.Optional.empty());
    assertThat(again.summary()).isEqualTo(report.summary());
    assertThat(again.table()).isEqualTo(report.table());
    assertThat(report.table().lines()).hasSize(1 + METHODS.size());
  }

  /** The final eval metrics of {@code method}'s runs, in seed order. */
  private static double[] finalEval(List<RunRecord> runs, String method) {
    return runs.stream()
        .filter(r -> r.getMethod().equals(method))
        .sorted(Comparator.comparingLong(RunRecord::getSeed))
        .mapToDouble(RunRecord::getFinalEvalMetric)
        .toArray();
  }

  /** The sample standard deviation of three values, two-pass. */
  private static double sampleStd(double[] values) {
    double mean = (values[0] + values[1] + values[2]) / 3;
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    return Math.sqrt(squares / 2);
  }
}
