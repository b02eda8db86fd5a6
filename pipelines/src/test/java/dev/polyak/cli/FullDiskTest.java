package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.io.WriteFaults;
import dev.polyak.testing.TestShardSets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk in the middle of a command: training checkpoints, shard writes, sweep report files.
 * The failure is injected at the Nth write ({@link WriteFaults}); what was written before stays
 * intact, no temporary file is left, and the user reads one line with the file, "no space left on
 * device", what is safe and how to go on. Running the command again once there is room finishes.
 */
class FullDiskTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 5, 16);
  }

  private static Path runFile(Path folder) throws IOException {
    return Files.writeString(
        Files.createDirectories(folder).resolve("run.yaml"),
        String.join(
            "\n",
            "model: mlp",
            "model_options: {hidden: 8, layers: 1}",
            "data: " + shards,
            "steps: 12",
            "batch_size: 8",
            "eval_every: 2",
            "checkpoint_every: 2",
            "keep_last: 100",
            "eval_samples: 8",
            ""));
  }

  @Test
  void trainingStopsAtTheFailedCheckpointKeepsTheEarlierOnesAndResumes() throws IOException {
    Path config = runFile(dir.resolve("train"));
    Path out = dir.resolve("train/out");
    CliRun failed;
    try (WriteFaults.Armed fault = WriteFaults.failFromNthWrite(FullDiskTest::isCheckpoint, 4)) {
      failed = CliRun.of("train", "--config", config.toString(), "--out", out.toString());
      assertThat(fault.failures()).isEqualTo(1);
    }

    Path checkpoints = out.resolve("checkpoints");
    assertThat(failed.code()).isEqualTo(2);
    assertThat(failed.err().lines().toList())
        .as(failed.err())
        .hasSize(1)
        .first()
        .asString()
        .startsWith(
            "polyak: error: cannot write "
                + checkpoints.resolve("ckpt-0000000008.safetensors")
                + ": no space left on device; the newest intact checkpoint is "
                + checkpoints.resolve("ckpt-0000000006.safetensors")
                + " (step 6); once fixed, run the same command again"
                + " to resume from it")
        .doesNotContain("Exception");
    // The three checkpoints before the failure read and verify; besides them only the run's
    // identity and its live metrics (written atomically at each eval) are in the folder.
    CheckpointStore store = new CheckpointStore(checkpoints, RetentionPolicy.keepAll());
    assertThat(store.list()).extracting(p -> store.load(p).step()).containsExactly(2L, 4L, 6L);
    assertThat(files(out))
        .containsExactlyInAnyOrder(
            "run.json",
            "metrics.json",
            "checkpoints/ckpt-0000000002.safetensors",
            "checkpoints/ckpt-0000000004.safetensors",
            "checkpoints/ckpt-0000000006.safetensors");

    // Space again: the same command resumes from step 6 and ends where an uninterrupted run ends.
    CliRun resumed = CliRun.of("train", "--config", config.toString(), "--out", out.toString());
    CliRun uninterrupted =
        CliRun.of(
            "train", "--config", config.toString(), "--out", dir.resolve("train/whole").toString());
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("(resumed from step 6)");
    assertThat(finalLine(resumed)).isEqualTo(finalLine(uninterrupted)).startsWith("final: step 12");
  }

  @Test
  void aShardWriteFailureLeavesTheEarlierShardSetAsItWas() throws Exception {
    Path input = dir.resolve("wikitext");
    new SyntheticWikiText(300).write(input, 2, 4, 1, 1);
    Path out = dir.resolve("shards-out");
    CliRun first =
        CliRun.of(
            "preprocess",
            "wikitext",
            "--input",
            input.toString(),
            "--out",
            out.toString(),
            "--runner",
            "DirectRunner",
            "--rows-per-shard",
            "4");
    assertThat(first.code()).as(first.err()).isZero();
    Map<String, String> before = digests(out);
    assertThat(before).containsKey("manifest.json").hasSizeGreaterThan(3);

    CliRun failed;
    try (WriteFaults.Armed fault =
        WriteFaults.failFromNthWrite(p -> p.toString().endsWith(".parquet"), 2)) {
      failed =
          CliRun.of(
              "preprocess",
              "wikitext",
              "--input",
              input.toString(),
              "--out",
              out.toString(),
              "--runner",
              "DirectRunner",
              "--rows-per-shard",
              "4",
              "--overwrite");
      assertThat(fault.failures()).isPositive();
    }

    assertThat(failed.code()).isEqualTo(2);
    assertThat(failed.err().lines().toList())
        .as(failed.err())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("polyak: error: ")
        .containsPattern(".parquet: no space left on device; ")
        .contains("no half-written shard set is left in " + out)
        .doesNotContain("Exception");
    assertThat(digests(out)).isEqualTo(before);
  }

  @Test
  void aReportWriteFailureKeepsTheRunsAndTheNextStartOnlyWritesTheReport() throws IOException {
    Path sweep =
        Files.writeString(
            Files.createDirectories(dir.resolve("sweep")).resolve("sweep.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 8, layers: 1}",
                "data: " + shards,
                "steps: 4",
                "batch_size: 8",
                "eval_every: 2",
                "eval_samples: 8",
                "grid:",
                "  seed: [0, 1]",
                ""));
    Path out = dir.resolve("sweep/out");
    CliRun failed;
    try (WriteFaults.Armed fault =
        WriteFaults.failFromNthWrite(p -> p.getFileName().toString().equals("report.html"), 1)) {
      failed =
          CliRun.of(
              "sweep",
              "--config",
              sweep.toString(),
              "--out",
              out.toString(),
              "--runner",
              "DirectRunner");
      assertThat(fault.failures()).isEqualTo(1);
    }

    assertThat(failed.code()).isEqualTo(2);
    assertThat(failed.err().lines().toList())
        .as(failed.err())
        .hasSize(1)
        .first()
        .asString()
        .startsWith(
            "polyak: error: cannot write "
                + out.resolve("report/report.html")
                + ": no space left on device;"
                + " what finished is kept in "
                + out.resolve("runs"))
        .doesNotContain("Exception");
    List<String> written = files(out);
    assertThat(written)
        .contains("report/runs.avro", "report/summary.avro")
        .doesNotContain("report/report.html")
        .filteredOn(f -> f.endsWith("result.json"))
        .hasSize(2);

    CliRun again =
        CliRun.of(
            "sweep",
            "--config",
            sweep.toString(),
            "--out",
            out.toString(),
            "--runner",
            "DirectRunner");
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).contains("2 cells, 0 to train now");
    assertThat(out.resolve("report/report.html")).isNotEmptyFile();
  }

  @Test
  void aRealFullFileSystemReadsTheSame() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("tiny-fs"));
    Process mounting =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mount.toString())
            .redirectErrorStream(true)
            .start();
    Assumptions.assumeTrue(
        mounting.waitFor() == 0,
        "no privilege to mount a 400 kB tmpfs; the injected failures cover it");
    try {
      Path config = runFile(dir.resolve("real"));
      CliRun failed =
          CliRun.of(
              "train", "--config", config.toString(), "--out", mount.resolve("run").toString());
      assertThat(failed.code()).isEqualTo(2);
      assertThat(failed.err().lines().toList())
          .as(failed.err())
          .hasSize(1)
          .first()
          .asString()
          .containsPattern(
              "^polyak: error: cannot write .*/ckpt-\\d+\\.safetensors: no space left on device; ")
          .doesNotContain("Exception");
      assertThat(files(mount)).allSatisfy(f -> assertThat(f).doesNotEndWith(".tmp"));
    } finally {
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
    }
  }

  private static boolean isCheckpoint(Path file) {
    return file.getFileName().toString().startsWith("ckpt-");
  }

  private static String finalLine(CliRun run) {
    return run.out().lines().filter(l -> l.startsWith("final:")).findFirst().orElseThrow();
  }

  /** Every file under {@code root}, relative, temporary files included. */
  private static List<String> files(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  /**
   * Every entry under {@code root} (folders too, so a left-over temporary folder shows) with its
   * content's SHA-256.
   */
  private static Map<String, String> digests(Path root) throws Exception {
    Map<String, String> digests = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
        digests.put(
            root.relativize(p).toString(),
            Files.isDirectory(p)
                ? "folder"
                : HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    }
    return digests;
  }
}
