package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.io.FolderLock;
import dev.polyak.schemas.RunRecord;
import dev.polyak.testing.TestShardSets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One owner per sweep folder, with real processes: two {@code polyak sweep} JVMs started at once on
 * one folder (the double submission of issue 14), a holder killed with SIGKILL, and lock files
 * written as a process on another host would write them.
 */
class SweepLockTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 4, 32);
  }

  /**
   * Three cells of a small MLP, long enough (400 steps each) that a second JVM starts while the
   * first trains.
   */
  private static Path sweepFile(String name, int steps) throws IOException {
    return Files.writeString(
        dir.resolve(name),
        String.join(
            "\n",
            "model: mlp",
            "model_options: {hidden: 8, layers: 1}",
            "data: " + shards,
            "steps: " + steps,
            "batch_size: 8",
            "eval_every: " + steps / 2,
            "eval_samples: 32",
            "pruning: {step: " + steps / 2 + "}",
            "grid:",
            "  method: [dense, magnitude, random]",
            "  ratio: [0.5]",
            "  seed: [0]",
            ""));
  }

  @Test
  void twoSweepsStartedAtOnceTrainEveryRunOnceAndTheSecondIsRefusedInOneLine() throws Exception {
    Path config = sweepFile("twice.yaml", 400);
    Path out = dir.resolve("twice-out");
    Forked a =
        Forked.start(
            dir.resolve("a"), "sweep", "--config", config.toString(), "--out", out.toString());
    Forked b =
        Forked.start(
            dir.resolve("b"), "sweep", "--config", config.toString(), "--out", out.toString());
    a.await();
    b.await();
    Forked winner = a.code == 0 ? a : b;
    Forked refused = winner == a ? b : a;
    assertThat(List.of(a.code, b.code))
        .as("exit codes; a: %s%nb: %s", a, b)
        .containsExactlyInAnyOrder(0, 2);
    List<String> errorLines = refused.err().lines().filter(l -> !l.isBlank()).toList();
    assertThat(errorLines).as(refused.toString()).hasSize(1);
    assertThat(errorLines.get(0))
        .startsWith(
            "polyak: error: sweep folder "
                + out
                + " is in use by pid "
                + winner.process.pid()
                + " on host ")
        .endsWith("; wait for it to end, or pass --wait");
    assertThat(winner.out()).contains("3 cells, 3 to train now");
    assertThat(attempts(out)).as(winner.toString()).containsExactly(1, 1, 1);
    assertThat(out.resolve(FolderLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void withWaitTheSecondSweepWaitsThenFindsEveryRunFinished() throws Exception {
    Path config = sweepFile("wait.yaml", 400);
    Path out = dir.resolve("wait-out");
    Forked a =
        Forked.start(
            dir.resolve("wa"),
            "sweep",
            "--config",
            config.toString(),
            "--out",
            out.toString(),
            "--wait");
    Forked b =
        Forked.start(
            dir.resolve("wb"),
            "sweep",
            "--config",
            config.toString(),
            "--out",
            out.toString(),
            "--wait");
    a.await();
    b.await();
    assertThat(List.of(a.code, b.code)).as("exit codes; a: %s%nb: %s", a, b).containsExactly(0, 0);
    Forked waited = a.out().contains("waiting: sweep folder") ? a : b;
    Forked first = waited == a ? b : a;
    assertThat(waited.out())
        .as(waited.toString())
        .contains("waiting: sweep folder " + out + " is in use by pid " + first.process.pid())
        .contains("3 cells, 0 to train now");
    assertThat(first.out()).doesNotContain("waiting:").contains("3 cells, 3 to train now");
    assertThat(attempts(out)).containsExactly(1, 1, 1);
    assertThat(out.resolve(FolderLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void theLockOfASweepKilledWithSigkillIsTakenOver() throws Exception {
    Path out = dir.resolve("killed-out");
    Path lock = out.resolve(FolderLock.FILE_NAME);
    Forked killed =
        Forked.start(
            dir.resolve("k"),
            "sweep",
            "--config",
            sweepFile("long.yaml", 100_000).toString(),
            "--out",
            out.toString());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!(Files.exists(lock) && Files.readString(lock).endsWith("\n"))
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(Files.readString(lock)).contains("pid=" + killed.process.pid() + "\n");
    killed.process.destroyForcibly(); // SIGKILL: no shutdown hook, the lock file stays
    killed.await();
    assertThat(lock).exists();

    CliRun after =
        CliRun.of(
            "sweep",
            "--config",
            sweepFile("short.yaml", 20).toString(),
            "--out",
            out.toString(),
            "--runner",
            "DirectRunner",
            "--parallelism",
            "2");
    assertThat(after.code()).as(after.err()).isZero();
    assertThat(attempts(out)).containsExactly(1, 1, 1);
    assertThat(lock).doesNotExist();
  }

  @Test
  void anotherHostsLockIsRespectedWhileItsHeartbeatIsFreshAndTakenOverWhenOld() throws Exception {
    Path config = sweepFile("hosts.yaml", 20);
    Path out = Files.createDirectories(dir.resolve("hosts-out"));
    Path lock = out.resolve(FolderLock.FILE_NAME);
    Instant now = Instant.now();
    Files.writeString(lock, foreignLock(now));

    CliRun refused =
        CliRun.of(
            "sweep",
            "--config",
            config.toString(),
            "--out",
            out.toString(),
            "--runner",
            "DirectRunner");
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .isEqualTo(
            "polyak: error: sweep folder "
                + out
                + " is in use by pid 4242 on host"
                + " gpu-node-7.example since "
                + now.minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS)
                + "; wait for it to end, or pass --wait\n");
    // Read-only: a dry run needs no lock, and says who holds it.
    CliRun dryRun =
        CliRun.of("sweep", "--config", config.toString(), "--out", out.toString(), "--dry-run");
    assertThat(dryRun.code()).as(dryRun.err()).isZero();
    assertThat(dryRun.out())
        .contains("3 cells")
        .contains("in use by pid 4242 on host gpu-node-7.example");

    Files.writeString(lock, foreignLock(now.minus(10, ChronoUnit.MINUTES)));
    CliRun took =
        CliRun.of(
            "sweep",
            "--config",
            config.toString(),
            "--out",
            out.toString(),
            "--runner",
            "DirectRunner",
            "--parallelism",
            "2");
    assertThat(took.code()).as(took.err()).isZero();
    assertThat(attempts(out)).containsExactly(1, 1, 1);
    assertThat(lock).doesNotExist();

    // polyak report is read-only too: it runs while another host holds the folder.
    Files.writeString(lock, foreignLock(Instant.now()));
    CliRun report = CliRun.of("report", "--sweep", out.toString());
    assertThat(report.code()).as(report.err()).isZero();
  }

  @Test
  void aTrainingRunFolderHasOneOwnerAndAFailedRunReleasesIt() throws Exception {
    Path runFile =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 8, layers: 1}",
                "data: " + shards,
                "steps: 10",
                "batch_size: 8",
                "eval_every: 10",
                "eval_samples: 32",
                ""));
    Path out = Files.createDirectories(dir.resolve("run-out"));
    Files.writeString(out.resolve(FolderLock.FILE_NAME), foreignLock(Instant.now()));
    CliRun refused = CliRun.of("train", "--config", runFile.toString(), "--out", out.toString());
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .startsWith("polyak: error: run folder " + out.toAbsolutePath() + " is in use by pid 4242")
        .hasLineCount(1);
    assertThat(out.resolve("run.json")).doesNotExist();
    Files.delete(out.resolve(FolderLock.FILE_NAME));

    // A run that fails after taking the lock (its shards are missing) gives it back.
    Path noData =
        Files.writeString(dir.resolve("nodata.yaml"), "model: mlp\ndata: nowhere\nsteps: 5\n");
    CliRun failed = CliRun.of("train", "--config", noData.toString(), "--out", out.toString());
    assertThat(failed.code()).as(failed.err()).isEqualTo(2);
    assertThat(out.resolve(FolderLock.FILE_NAME)).doesNotExist();
  }

  /**
   * A lock file as a polyak process on host gpu-node-7.example writes it, heartbeat every 200 ms,
   * lease 60 s.
   */
  private static String foreignLock(Instant heartbeat) {
    return String.join(
        "\n",
        "# written by the test",
        "host=gpu-node-7.example",
        "pid=4242",
        "started=" + heartbeat.minus(1, ChronoUnit.MINUTES),
        "heartbeat_interval_ms=200",
        "lease_ms=60000",
        "token=foreign-" + heartbeat.toEpochMilli(),
        "command=polyak sweep --config sweep.yaml",
        "heartbeat=" + heartbeat,
        "");
  }

  private static List<Integer> attempts(Path out) {
    return AvroFiles.read(out.resolve("report/runs.avro"), RunRecord.class).stream()
        .map(RunRecord::getAttempts)
        .toList();
  }

  /**
   * A {@code polyak} command line in its own JVM, with this test's classpath; stdout and stderr to
   * files.
   */
  private static final class Forked {
    final Process process;
    final Path stdout;
    final Path stderr;
    int code = -1;

    private Forked(Process process, Path stdout, Path stderr) {
      this.process = process;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    static Forked start(Path logs, String... args) throws IOException {
      List<String> command =
          new ArrayList<>(
              List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      command.addAll(dev.polyak.cluster.LocalCluster.jvmFlags());
      command.addAll(
          List.of(
              "-Xmx1g",
              "-Dai.djl.offline=true",
              "-Dai.djl.pytorch.num_threads=1",
              "-Dai.djl.pytorch.num_interop_threads=1",
              "-cp",
              System.getProperty("java.class.path"),
              PolyakCli.class.getName()));
      command.addAll(List.of(args));
      command.addAll(List.of("--runner", "DirectRunner", "--parallelism", "2"));
      Files.createDirectories(logs);
      Path stdout = logs.resolve("stdout");
      Path stderr = logs.resolve("stderr");
      return new Forked(
          new ProcessBuilder(command)
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .start(),
          stdout,
          stderr);
    }

    void await() throws InterruptedException {
      assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("the forked polyak ended").isTrue();
      code = process.exitValue();
    }

    String out() throws IOException {
      return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String err() throws IOException {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      try {
        return "pid "
            + process.pid()
            + " exit "
            + code
            + "\n--- stdout\n"
            + out()
            + "\n--- stderr\n"
            + err();
      } catch (IOException e) {
        return "pid " + process.pid() + ": " + e;
      }
    }
  }
}
