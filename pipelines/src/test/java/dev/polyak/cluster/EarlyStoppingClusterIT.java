package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.pipelines.EarlyStoppingSweepTest;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.schemas.RunRecord;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep with early stopping on the multi-process local cluster, one slot, its task manager killed
 * with SIGKILL while a run trains between its two rungs and replaced: the job restarts, the run
 * resumes, the decision it had at its first rung is kept byte for byte, and every decision and
 * outcome equals an uninterrupted one-slot sweep's (embedded Flink in this JVM). An integration
 * test: it needs the jar, so it runs after {@code package}.
 */
class EarlyStoppingClusterIT {
  @TempDir static Path dir;

  @Test
  void aTaskManagerKilledBetweenTwoRungsLeavesTheDecisionsAsAnUninterruptedSweeps()
      throws Exception {
    String yaml =
        LocalClusterIT.sweepFile(
            dir, "early_stopping: {rule: asha, signal: eval, rungs: [50, 150], reduction: 2}");
    Path sweepFile = dir.resolve("sweep.yaml");
    Files.writeString(sweepFile, yaml);
    Path reference = dir.resolve("uninterrupted");
    SweepSpec spec = SweepSpec.parse(yaml, dir);
    SweepPipeline.run(
        new SweepPipeline.SweepJob(
            SweepPipeline.tasks(spec.cells(), reference),
            reference,
            new TrainRunFn.Settings(
                RunPolicy.standard(), spec.diagnostics(), "cpu", 1, null, spec.earlyStopping())),
        RunnerSettings.embeddedFlink(1).toPipelineOptions("polyak-it-reference"));

    LocalCluster cluster = LocalClusterIT.start(dir.resolve("cluster"));
    Path out = dir.resolve("sweep");
    try {
      Process sweep = LocalClusterIT.submit(cluster, sweepFile, out, dir.resolve("sweep.log"), 1);
      Path victim = awaitBetweenRungs(out, sweep);
      String id = victim.getFileName().toString();
      Path decided = out.resolve("early-stopping").resolve("rung-50").resolve(id + ".json");
      String atKill = Files.readString(decided);
      long pid = LocalClusterIT.workerPid(victim);
      cluster.kill(
          cluster.members().stream().filter(m -> m.pid() == pid).findFirst().orElseThrow().name());
      cluster.addTaskManager();
      assertThat(sweep.waitFor(6, TimeUnit.MINUTES)).as("the sweep ends").isTrue();
      assertThat(sweep.exitValue()).as(Files.readString(dir.resolve("sweep.log"))).isZero();

      RunRecord resumed = LocalClusterIT.runs(out).get(id);
      assertThat(resumed.getAttempts()).isGreaterThanOrEqualTo(2);
      assertThat(resumed.getResumedFromStep()).isGreaterThanOrEqualTo(50);
      assertThat(Files.readString(decided)).isEqualTo(atKill);
      assertThat(EarlyStoppingSweepTest.decisionLines(out))
          .isEqualTo(EarlyStoppingSweepTest.decisionLines(reference));
      Map<String, RunRecord> expected = LocalClusterIT.runs(reference);
      LocalClusterIT.runs(out)
          .forEach(
              (run, r) -> {
                assertThat(r.getStatus()).as(run).isEqualTo(expected.get(run).getStatus());
                assertThat(r.getFinalEvalMetric())
                    .as(run)
                    .isEqualTo(expected.get(run).getFinalEvalMetric());
              });
    } finally {
      cluster.stop();
    }
  }

  /** Waits until a run went on at rung 50 and has neither a rung-150 decision nor a result. */
  static Path awaitBetweenRungs(Path out, Process sweep) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    Path rung50 = out.resolve("early-stopping").resolve("rung-50");
    while (System.nanoTime() < deadline && sweep.isAlive()) {
      if (Files.isDirectory(rung50)) {
        Optional<Path> found;
        try (Stream<Path> decisions = Files.list(rung50)) {
          found =
              decisions
                  // Decision files only: a write-once leaves a hidden temporary file while it
                  // writes.
                  .filter(d -> d.getFileName().toString().matches("[0-9a-f]{16}\\.json"))
                  .filter(d -> read(d).contains("\"continues\":true"))
                  .map(d -> d.getFileName().toString().replace(".json", ""))
                  .filter(
                      run ->
                          !Files.exists(
                                  out.resolve("early-stopping/rung-150").resolve(run + ".json"))
                              && !Files.exists(
                                  out.resolve("runs").resolve(run).resolve("result.json")))
                  .map(run -> out.resolve("runs").resolve(run))
                  .findFirst();
        }
        if (found.isPresent()) {
          return found.get();
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "no run was caught between its rungs; sweep alive: " + sweep.isAlive());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
