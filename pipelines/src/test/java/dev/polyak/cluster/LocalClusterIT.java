package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real multi-process Flink cluster on 127.0.0.1 (started from the built polyak jar, as {@code
 * polyak cluster start} does) running a sweep of four bert-tiny runs submitted by {@code polyak
 * sweep} in a process of its own, surviving (1) a task manager killed with SIGKILL mid-training and
 * replaced, and (2) the whole cluster and the client killed mid-sweep and the sweep started again
 * on a new cluster. Either way every run finishes, the runs caught mid-training resume from their
 * last checkpoint, and the metrics equal an uninterrupted sweep of the same spec (run in this JVM
 * on the DirectRunner). An integration test: it needs the jar, so it runs after {@code package}.
 */
class LocalClusterIT {
  static final Path JAR = Path.of("target", "polyak.jar").toAbsolutePath();
  @TempDir static Path dir;
  static String sweepYaml;
  static Map<String, List<String>> reference;
  static List<SummaryRecord> referenceSummary;

  @BeforeAll
  static void shardsAndUninterruptedSweep() throws Exception {
    sweepYaml = sweepFile(dir);
    Files.writeString(dir.resolve("sweep.yaml"), sweepYaml);
    Path out = dir.resolve("uninterrupted");
    SweepSpec spec = SweepSpec.parse(sweepYaml, dir);
    SweepPipeline.Outcome outcome =
        SweepPipeline.run(
            new SweepPipeline.SweepJob(
                SweepPipeline.tasks(spec.cells(), out),
                out,
                new TrainRunFn.Settings(RunPolicy.standard(), spec.diagnostics(), "cpu", 1, null)),
            RunnerSettings.direct(2).toPipelineOptions("polyak-it-reference"));
    reference = trajectories(out);
    referenceSummary = dev.polyak.service.Reports.write(outcome.reportFolder()).summary();
  }

  @Test
  void aSweepSurvivesATaskManagerKilledMidTraining() throws Exception {
    LocalCluster cluster = start(dir.resolve("cluster-a"));
    Path out = dir.resolve("sweep-a");
    try {
      long submitted = System.nanoTime();
      Process sweep = submit(cluster, out, dir.resolve("sweep-a.log"));
      Path victim = awaitRunMidTraining(out, sweep);
      long pid = workerPid(victim);
      String taskManager =
          cluster.members().stream().filter(m -> m.pid() == pid).findFirst().orElseThrow().name();
      long killedAt = System.nanoTime();
      cluster.kill(taskManager);
      cluster.addTaskManager();
      assertThat(sweep.waitFor(6, TimeUnit.MINUTES)).as("the sweep ends").isTrue();
      long ended = System.nanoTime();
      assertThat(sweep.exitValue()).as(Files.readString(dir.resolve("sweep-a.log"))).isZero();

      Map<String, RunRecord> runs = runs(out);
      assertThat(runs.values())
          .hasSize(4)
          .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
      RunRecord resumed = runs.get(victim.getFileName().toString());
      // Usually 2. Once, in about ten CI simulations, the run started 3 times: the job was
      // restarted a second
      // time around the task manager's loss (the cause is not known: the logs went with the test
      // folder, so
      // the attempt lines are printed should it happen again). Each start is a job restart, and
      // those are
      // bounded by --restarts (3); the trajectories below must still equal the uninterrupted
      // sweep's.
      assertThat(resumed.getAttempts())
          .as(attemptLines(cluster, resumed.getRunId()))
          .isBetween(2, 1 + 3);
      assertThat(resumed.getResumedFromStep()).isGreaterThanOrEqualTo(50);
      assertThat(resumed.getWorker()).doesNotEndWith("/" + pid);
      assertThat(trajectories(out)).isEqualTo(reference);
      assertSameSummary(out);
      System.out.printf(
          "task-manager kill: run %s resumed from step %d; %.1f s from submission to the kill, %.1f s from"
              + " the kill to the end of the sweep%n",
          resumed.getRunId(),
          resumed.getResumedFromStep(),
          (killedAt - submitted) / 1e9,
          (ended - killedAt) / 1e9);
    } finally {
      cluster.stop();
    }
  }

  @Test
  void aSweepStartedAgainOnANewClusterRedoesOnlyUnfinishedWork() throws Exception {
    Path folder = dir.resolve("cluster-b");
    LocalCluster cluster = start(folder);
    Path out = dir.resolve("sweep-b");
    Process sweep = submit(cluster, out, dir.resolve("sweep-b1.log"));
    awaitRunMidTraining(out, sweep);
    // Kill everything at once: client, job manager, task managers.
    sweep.destroyForcibly().waitFor();
    for (LocalCluster.Member m : cluster.members()) {
      cluster.kill(m.name());
    }
    Map<String, Integer> checkpointsAtKill = new java.util.HashMap<>();
    List<String> finishedAtKill = new ArrayList<>();
    try (Stream<Path> folders = Files.list(out.resolve("runs"))) {
      for (Path run : folders.toList()) {
        if (Files.exists(run.resolve("result.json"))) {
          finishedAtKill.add(run.getFileName().toString());
        }
        checkpointsAtKill.put(run.getFileName().toString(), countCheckpoints(run));
      }
    }
    cluster.stop();

    LocalCluster again = start(folder);
    try {
      Process second = submit(again, out, dir.resolve("sweep-b2.log"));
      assertThat(second.waitFor(6, TimeUnit.MINUTES)).isTrue();
      assertThat(second.exitValue()).as(Files.readString(dir.resolve("sweep-b2.log"))).isZero();
      Map<String, RunRecord> runs = runs(out);
      assertThat(runs.values())
          .hasSize(4)
          .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
      for (RunRecord r : runs.values()) {
        if (finishedAtKill.contains(r.getRunId())) {
          assertThat(r.getAttempts())
              .as("finished before the kill: not trained again")
              .isEqualTo(1);
        } else if (checkpointsAtKill.getOrDefault(r.getRunId(), 0) > 0) {
          assertThat(r.getAttempts()).isEqualTo(2);
          assertThat(r.getResumedFromStep())
              .as("resumed from its checkpoint")
              .isGreaterThanOrEqualTo(50);
        }
      }
      assertThat(finishedAtKill).isNotEmpty();
      assertThat(trajectories(out)).isEqualTo(reference);
      assertSameSummary(out);
    } finally {
      again.stop();
    }
  }

  /**
   * Needs the jar; generates a corpus, preprocesses it into {@code folder/shards} and returns the
   * sweep file of four bert-tiny seeds, 200 steps, checkpoints every 50, on it, with {@code extra}
   * lines at the end.
   */
  static String sweepFile(Path folder, String... extra) {
    assumeTrue(
        Files.isRegularFile(JAR),
        "needs the job jar " + JAR + " (mvn verify builds it before this test)");
    Path corpus = folder.resolve("corpus");
    Path shards = folder.resolve("shards");
    new SyntheticWikiText(3000).write(corpus, 11, 60, 6, 6);
    PreprocessPipeline.run(
            new PreprocessPipeline.WikiTextJob(
                corpus, shards, WikiTextConfig.defaults().withRowsPerShard(100), true),
            RunnerSettings.direct(2).toPipelineOptions("polyak-it-data"))
        .waitUntilFinish();
    List<String> lines =
        new ArrayList<>(
            List.of(
                "model: bert-tiny",
                "data: " + shards,
                "steps: 200",
                "batch_size: 16",
                "eval_every: 50",
                "eval_samples: 64",
                "checkpoint_every: 50",
                "grid:",
                "  seed: 0..3"));
    lines.addAll(List.of(extra));
    lines.add("");
    return String.join("\n", lines);
  }

  /**
   * Starts a 2-task-manager cluster on free ports. A free port found here can be taken by another
   * process before Flink binds it; a start that fails is retried once on new ports, and says so.
   */
  static LocalCluster start(Path folder) throws IOException {
    try {
      return LocalCluster.start(
          folder,
          2,
          new LocalCluster.Settings(freePort(), freePort(), 1, 768, 768, JAR.toString(), false),
          Duration.ofSeconds(120));
    } catch (IllegalStateException e) {
      System.out.println(
          "cluster start failed (its processes stopped), retrying once on new ports: "
              + e.getMessage());
      return LocalCluster.start(
          folder,
          2,
          new LocalCluster.Settings(freePort(), freePort(), 1, 768, 768, JAR.toString(), false),
          Duration.ofSeconds(120));
    }
  }

  /** The task managers' log lines about {@code runId}'s attempts, in log order per process. */
  static String attemptLines(LocalCluster cluster, String runId) throws IOException {
    StringBuilder lines =
        new StringBuilder("attempts of run " + runId + " in the cluster's logs:\n");
    try (Stream<Path> logs = Files.list(cluster.folder().resolve("log"))) {
      for (Path log : logs.sorted().toList()) {
        for (String line : Files.readAllLines(log)) {
          if (line.contains(runId) && line.contains("attempt")) {
            lines.append(log.getFileName()).append(": ").append(line).append('\n');
          }
        }
      }
    }
    return lines.toString();
  }

  /** {@code polyak sweep} against the cluster, in a process of its own, as a user runs it. */
  static Process submit(LocalCluster cluster, Path out, Path log) throws IOException {
    return submit(cluster, dir.resolve("sweep.yaml"), out, log, 2);
  }

  /** {@code polyak sweep --config sweepFile} against the cluster with {@code parallelism} slots. */
  static Process submit(LocalCluster cluster, Path sweepFile, Path out, Path log, int parallelism)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(LocalCluster.jvmFlags());
    command.addAll(
        List.of(
            "-Dai.djl.offline=true",
            "-jar",
            JAR.toString(),
            "sweep",
            "--config",
            sweepFile.toString(),
            "--out",
            out.toString(),
            "--flink-master",
            cluster.restAddress(),
            "--parallelism",
            Integer.toString(parallelism)));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /**
   * Waits until some run has a checkpoint and no result (and at least one run finished, when
   * asked).
   */
  static Path awaitRunMidTraining(Path out, Process sweep) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline && sweep.isAlive()) {
      if (Files.isDirectory(out.resolve("runs"))) {
        boolean anyFinished;
        Optional<Path> midway;
        try (Stream<Path> folders = Files.list(out.resolve("runs"))) {
          List<Path> all = folders.toList();
          anyFinished = all.stream().anyMatch(r -> Files.exists(r.resolve("result.json")));
          midway =
              all.stream()
                  .filter(r -> !Files.exists(r.resolve("result.json")) && countCheckpoints(r) > 0)
                  .findFirst();
        }
        if (anyFinished && midway.isPresent()) {
          return midway.get();
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no run was caught mid-training; sweep alive: " + sweep.isAlive());
  }

  static int countCheckpoints(Path run) {
    try (Stream<Path> files = Files.list(run.resolve("checkpoints"))) {
      return (int) files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  static long workerPid(Path run) throws IOException {
    String state = Files.readString(run.resolve("sweep-run.json"));
    String worker = state.replaceAll(".*\"worker\"\\s*:\\s*\"([^\"]*)\".*", "$1");
    return Long.parseLong(worker.substring(worker.lastIndexOf('/') + 1));
  }

  static Map<String, RunRecord> runs(Path out) {
    return AvroFiles.read(out.resolve("report/runs.avro"), RunRecord.class).stream()
        .collect(Collectors.toMap(RunRecord::getRunId, Function.identity()));
  }

  /** Per run, its metric rows without wall times, in step order. */
  static Map<String, List<String>> trajectories(Path out) {
    return AvroFiles.read(out.resolve("report/metrics.avro"), MetricRow.class).stream()
        .sorted(Comparator.comparing(MetricRow::getStep))
        .collect(
            Collectors.groupingBy(
                MetricRow::getRunId,
                java.util.TreeMap::new,
                Collectors.mapping(
                    m ->
                        m.getStep()
                            + " "
                            + m.getTrainLoss()
                            + " "
                            + m.getEvalLoss()
                            + " "
                            + m.getEvalMetric(),
                    Collectors.toList())));
  }

  static void assertSameSummary(Path out) {
    List<SummaryRecord> summary =
        AvroFiles.read(out.resolve("report/summary.avro"), SummaryRecord.class);
    assertThat(summary).hasSameSizeAs(referenceSummary);
    for (int i = 0; i < summary.size(); i++) {
      assertThat(summary.get(i).getFinalEvalMetric())
          .isEqualTo(referenceSummary.get(i).getFinalEvalMetric());
      assertThat(summary.get(i).getFinalTrainMetric())
          .isEqualTo(referenceSummary.get(i).getFinalTrainMetric());
      assertThat(summary.get(i).getFinished()).isEqualTo(referenceSummary.get(i).getFinished());
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
