package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.io.FolderLock;
import dev.polyak.data.io.LockHolder;
import dev.polyak.io.Digests;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.sweep.RunFolder;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak report} on a sweep whose job has not ended. A real sweep (dense and magnitude × 2
 * seeds of a small MLP) is run once to the end; copies of its folder are then cut back to what a
 * running or killed job leaves: one run mid-training (its result and last checkpoint gone, its
 * metric records cut after step 15), one failed, one not started, and the sweep folder's lock held
 * as the job holds it. The partial report must come from the run folders without touching them or
 * the lock, and agree with the complete job's own records: the finished runs' records are the
 * job's, and the partial run's evaluations so far are the job's rows up to step 15.
 */
class PartialReportTest {
  @TempDir static Path dir;
  static Path complete;
  static Map<String, RunRecord> completeRuns;
  static List<MetricRow> completeMetrics;

  @BeforeAll
  static void completeSweep() throws Exception {
    Path shards = TestShardSets.syntheticCifar10(dir, 4, 32);
    Path config =
        Files.writeString(
            dir.resolve("sweep.yaml"),
            """
            model: mlp
            model_options: {hidden: 8, layers: 1}
            data: %s
            steps: 20
            batch_size: 8
            eval_every: 5
            eval_samples: 32
            pruning: {step: 10}
            grid:
              method: [dense, magnitude]
              ratio: [0.5]
              seed: 0..1
            """
                .formatted(shards));
    complete = dir.resolve("complete");
    CliRun sweep =
        CliRun.of(
            "sweep",
            "--config",
            config.toString(),
            "--out",
            complete.toString(),
            "--runner",
            "DirectRunner");
    assertThat(sweep.code()).as(sweep.toString()).isZero();
    completeRuns =
        AvroFiles.read(complete.resolve("report/runs.avro"), RunRecord.class).stream()
            .collect(Collectors.toMap(r -> r.getMethod() + r.getSeed(), Function.identity()));
    completeMetrics = AvroFiles.read(complete.resolve("report/metrics.avro"), MetricRow.class);
    assertThat(completeRuns.values())
        .hasSize(4)
        .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
  }

  @Test
  void aRunningSweepIsReportedFromItsRunFoldersWithoutTouchingThemOrItsLock() throws Exception {
    Path live = copyOf(complete, "running");
    Path partialRun = cutBackToStep(live, completeRuns.get("magnitude1"), 15);
    Path failedRun = run(live, completeRuns.get("dense1"));
    Files.delete(failedRun.resolve("result.json"));
    new RunFolder(failedRun)
        .recordFailure(new IllegalStateException("out of memory (injected by the test)"), 1);
    deleteTree(run(live, completeRuns.get("magnitude0")));

    try (FolderLock job = FolderLock.acquire(live, "polyak sweep (the running job)")) {
      Map<String, String> before = fingerprint(live);
      CliRun report = CliRun.of("report", "--sweep", live.toString());

      assertThat(report.code()).as(report.toString()).isZero();
      // Nothing of the job's changed: run folders, its old report/, cells.avro, the lock file.
      assertThat(fingerprint(live)).isEqualTo(before);
      assertThat(job.lost()).isFalse();
      assertThat(FolderLock.holder(live).map(LockHolder::token)).contains(job.holder().token());

      assertThat(report.out())
          .contains("partial report: the sweep is running (")
          .contains("2 of 4 runs without an outcome yet")
          .contains("step 15/20, accuracy ")
          .contains("\n  1 not started\n")
          .contains("report: " + live.resolve("report-partial/report.html"));
      assertThat(report.out().lines().filter(l -> l.contains("method=magnitude")))
          .hasSize(2)
          .last()
          .asString()
          .contains("0/2 +2 partial");
    }
    Path folder = live.resolve("report-partial");
    Map<String, RunRecord> runs =
        AvroFiles.read(folder.resolve("runs.avro"), RunRecord.class).stream()
            .collect(Collectors.toMap(r -> r.getMethod() + r.getSeed(), Function.identity()));
    assertThat(runs).hasSize(4);
    assertThat(runs.get("dense0")).isEqualTo(completeRuns.get("dense0"));
    assertThat(runs.get("dense1").getStatus()).isEqualTo(RunStatus.FAILED);
    assertThat(runs.get("dense1").getError())
        .isEqualTo("IllegalStateException: out of memory (injected by the test)");

    RunRecord partial = runs.get("magnitude1");
    String partialId = partial.getRunId();
    assertThat(partial.getStatus()).isEqualTo(RunStatus.PARTIAL);
    assertThat(partial.getLastGoodStep()).isEqualTo(15);
    assertThat(partial.getPruneSteps()).containsExactly(10L);
    List<MetricRow> jobRowsTo15 =
        completeMetrics.stream()
            .filter(m -> m.getRunId().equals(partialId) && m.getStep() <= 15)
            .sorted(Comparator.comparing(MetricRow::getStep))
            .toList();
    assertThat(jobRowsTo15).extracting(MetricRow::getStep).containsExactly(5L, 10L, 15L);
    assertThat(partial.getFinalEvalMetric()).isEqualTo(jobRowsTo15.get(2).getEvalMetric());
    assertThat(partial.getKeptParameters()).isEqualTo(jobRowsTo15.get(2).getKeptParameters());
    assertThat(
            AvroFiles.read(folder.resolve("metrics.avro"), MetricRow.class).stream()
                .filter(m -> m.getRunId().equals(partialId))
                .sorted(Comparator.comparing(MetricRow::getStep))
                .toList())
        .isEqualTo(jobRowsTo15);
    assertThat(AvroFiles.read(folder.resolve("prune_events.avro"), PruneEvent.class))
        .extracting(e -> e.getRunId() + "@" + e.getStep())
        .containsExactly(partialId + "@10");

    RunRecord notStarted = runs.get("magnitude0");
    assertThat(notStarted.getStatus()).isEqualTo(RunStatus.PARTIAL);
    assertThat(notStarted.getAttempts()).isZero();
    assertThat(notStarted.getFinalEvalMetric()).isNull();

    // Statistics over the finished runs only: dense's one seed, its figure the job's own.
    Map<String, SummaryRecord> summary =
        AvroFiles.read(folder.resolve("summary.avro"), SummaryRecord.class).stream()
            .collect(Collectors.toMap(SummaryRecord::getMethod, Function.identity()));
    assertThat(summary.get("magnitude").getFinished()).isZero();
    assertThat(summary.get("magnitude").getPartial()).isEqualTo(2);
    assertThat(summary.get("magnitude").getFinalEvalMetric()).isNull();
    assertThat(summary.get("dense").getFinished()).isEqualTo(1);
    assertThat(summary.get("dense").getFailed()).isEqualTo(1);
    assertThat(summary.get("dense").getPartial()).isZero();
    assertThat(summary.get("dense").getFinalEvalMetric().getMean())
        .isEqualTo(completeRuns.get("dense0").getFinalEvalMetric());

    String html = Files.readString(folder.resolve("report.html"));
    assertThat(html)
        .contains("<b>Partial report</b>")
        .contains("1 finished, 0 diverged, 1 failed, 2 partial.")
        .contains("evaluated to 15 of 20")
        .contains("not started")
        .contains("<tr class=\"partial\">");
  }

  @Test
  void aKilledSweepGetsAPartialReportAndAnEndedOneItsOwnAsBefore() throws Exception {
    CliRun ended = CliRun.of("report", "--sweep", complete.toString());
    assertThat(ended.code()).as(ended.toString()).isZero();
    assertThat(ended.out())
        .doesNotContain("partial")
        .contains(complete.resolve("report").toString());
    assertThat(complete.resolve("report-partial")).doesNotExist();

    // Started again (cells.avro rewritten after the old report) and killed mid-run: its report/ is
    // stale and no process holds the folder.
    Path killed = copyOf(complete, "killed");
    cutBackToStep(killed, completeRuns.get("dense0"), 10);
    Path runsAvro = killed.resolve("report/runs.avro");
    Files.setLastModifiedTime(
        killed.resolve("cells.avro"),
        FileTime.from(Files.getLastModifiedTime(runsAvro).toInstant().plusSeconds(60)));
    Map<String, String> report = fingerprint(killed.resolve("report"));

    CliRun partial = CliRun.of("report", "--sweep", killed.toString());

    assertThat(partial.code()).as(partial.toString()).isZero();
    assertThat(partial.out())
        .contains("partial report: no process holds the sweep folder")
        .contains("1 of 4 runs without an outcome yet")
        .contains("step 10/20");
    assertThat(fingerprint(killed.resolve("report"))).isEqualTo(report);
    assertThat(killed.resolve("report-partial/report.html")).exists();
  }

  /**
   * Makes {@code run}'s folder in {@code sweep} look as it did while training after {@code step}:
   * no result, no checkpoint after it, metric records up to it.
   */
  private static Path cutBackToStep(Path sweep, RunRecord run, long step) throws IOException {
    Path folder = run(sweep, run);
    Files.delete(folder.resolve("result.json"));
    try (Stream<Path> checkpoints = Files.list(folder.resolve("checkpoints"))) {
      for (Path c : checkpoints.toList()) {
        if (c.getFileName().toString().contains("0000000020")) {
          Files.delete(c);
        }
      }
    }
    List<MetricRecord> soFar =
        TrainingRun.readMetricsSoFar(folder).stream().filter(m -> m.step() <= step).toList();
    assertThat(soFar).isNotEmpty();
    Files.writeString(
        folder.resolve(TrainingRun.METRICS_SO_FAR), new ObjectMapper().writeValueAsString(soFar));
    return folder;
  }

  private static Path run(Path sweep, RunRecord run) {
    return sweep.resolve("runs").resolve(run.getRunId());
  }

  private static Path copyOf(Path from, String name) throws IOException {
    Path to = dir.resolve(name);
    dev.polyak.io.FileTrees.copyRecursively(from, to);
    return to;
  }

  private static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  /**
   * Every file under {@code folder} but the partial report's and the lock, with its SHA-256 and
   * modification time.
   */
  private static Map<String, String> fingerprint(Path folder) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path f : all.toList()) {
        String name = folder.relativize(f).toString();
        if (name.startsWith("report-partial") || name.equals(FolderLock.FILE_NAME)) {
          continue; // the lock's heartbeat moves: the test checks the lock by its token
        }
        files.put(
            name,
            Files.isDirectory(f)
                ? "folder"
                : Digests.sha256Hex(Files.readAllBytes(f)) + " " + Files.getLastModifiedTime(f));
      }
    }
    return files;
  }
}
