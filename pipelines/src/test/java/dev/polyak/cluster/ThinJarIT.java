package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak sweep --thin-jar} against a real multi-process cluster whose processes run the
 * polyak jar from their class path, as the image's {@code lib/polyak.jar} does: a one-run sweep
 * finishes, and the bytes the client sends to the job manager's REST endpoint (counted by a relay
 * in between) stay under 8 MB, where the whole jar is 310 MB. With {@code
 * -Dpolyak.measureFatJar=true} it also submits the same sweep without the option and prints both
 * figures (the runbook's before and after).
 */
class ThinJarIT {
  static final Path JAR = LocalClusterIT.JAR;

  /**
   * The jar is under 1 KB (RunnerMixinTest); the rest is the job graph Beam serializes, 3.3 MB for
   * this sweep.
   */
  static final long AT_MOST = 8L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void aThinSubmissionShipsKilobytesAndItsSweepFinishes() throws Exception {
    assumeTrue(
        Files.isRegularFile(JAR),
        "needs the job jar " + JAR + " (mvn verify builds it before this test)");
    long sent = sweepThroughRelay(true, "thin");
    System.out.printf(
        "--thin-jar submission: %,d bytes from the client to the job manager%n", sent);
    assertThat(sent).as("bytes sent to the job manager").isLessThan(AT_MOST);
  }

  @Test
  void theWholeJarForComparison() throws Exception {
    assumeTrue(Boolean.getBoolean("polyak.measureFatJar"), "only with -Dpolyak.measureFatJar=true");
    assumeTrue(Files.isRegularFile(JAR), "needs the job jar " + JAR);
    long sent = sweepThroughRelay(false, "fat");
    System.out.printf(
        "submission with the whole jar (%,d bytes): %,d bytes from the client to the job manager%n",
        Files.size(JAR), sent);
    assertThat(sent).isGreaterThan(Files.size(JAR));
  }

  /**
   * Starts a one-task-manager cluster, sweeps one short bert-tiny run through a counting relay,
   * returns the bytes sent.
   */
  long sweepThroughRelay(boolean thin, String name) throws Exception {
    Path corpus = dir.resolve("corpus");
    Path shards = dir.resolve("shards");
    new SyntheticWikiText(2000).write(corpus, 3, 20, 3, 3);
    PreprocessPipeline.run(
            new PreprocessPipeline.WikiTextJob(
                corpus, shards, WikiTextConfig.defaults().withRowsPerShard(100), true),
            RunnerSettings.direct(1).toPipelineOptions("polyak-thin-data"))
        .waitUntilFinish();
    Files.writeString(
        dir.resolve("sweep.yaml"),
        String.join(
            "\n",
            "model: bert-tiny",
            "data: " + shards,
            "steps: 20",
            "batch_size: 8",
            "eval_every: 10",
            "eval_samples: 16",
            "checkpoint_every: 10",
            "grid:",
            "  seed: [0]",
            ""));
    LocalCluster cluster =
        LocalCluster.start(
            dir.resolve("cluster"),
            1,
            new LocalCluster.Settings(
                LocalClusterIT.freePort(),
                LocalClusterIT.freePort(),
                1,
                512,
                768,
                JAR.toString(),
                false),
            Duration.ofSeconds(120));
    Path out = dir.resolve("sweep-" + name);
    Path log = dir.resolve("sweep-" + name + ".log");
    try (CountingProxy relay =
        new CountingProxy(Integer.parseInt(cluster.restAddress().split(":")[1]))) {
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
              dir.resolve("sweep.yaml").toString(),
              "--out",
              out.toString(),
              "--flink-master",
              relay.address(),
              "--parallelism",
              "1"));
      if (thin) {
        command.add("--thin-jar");
      }
      Process sweep =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertThat(sweep.waitFor(5, TimeUnit.MINUTES)).as("the sweep ends").isTrue();
      assertThat(sweep.exitValue()).as(Files.readString(log)).isZero();
      Map<String, RunRecord> runs = LocalClusterIT.runs(out);
      long taskManagerPid = cluster.member("taskmanager-0").orElseThrow().pid();
      assertThat(runs.values())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED);
                assertThat(r.getWorker())
                    .as("trained in the task manager")
                    .endsWith("/" + taskManagerPid);
              });
      assertThat(relay.bytesToClient())
          .as("the job manager answered through the relay")
          .isPositive();
      return relay.bytesToServer();
    } finally {
      cluster.stop();
    }
  }
}
