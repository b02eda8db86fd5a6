package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.testing.TestShardSets;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mistakes users make with paths, command by command: each is one line on stderr that names the
 * path, exit code 2, and no Java stack trace unless {@code --verbose} asks for it. As root (the
 * tests' user) a permission bit denies nothing, so "cannot be written" is a path under a regular
 * file, under /proc (nothing can be created there) or under /sys (mkdir is not permitted).
 */
class UserMistakesTest {
  @TempDir static Path dir;
  static Path file;
  static Path shards;
  static Path runFile;
  static Path checkpoints;

  @BeforeAll
  static void fixtures() throws Exception {
    file = Files.writeString(dir.resolve("a-file"), "not a folder\n");
    shards = TestShardSets.syntheticCifar10(dir, 3, 16);
    runFile =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 8, layers: 1}",
                "data: " + shards,
                "steps: 4",
                "batch_size: 8",
                "eval_every: 2",
                "eval_samples: 8",
                ""));
    Files.writeString(
        dir.resolve("sweep.yaml"),
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
            "  seed: [0]",
            ""));
    new SyntheticWikiText(300).write(dir.resolve("wikitext"), 1, 3, 1, 1);
    Path cluster = Files.createDirectories(dir.resolve("cluster"));
    Files.writeString(cluster.resolve("log"), "a file where the cluster's log folder goes\n");
    CliRun trained =
        CliRun.of(
            "train", "--config", runFile.toString(), "--out", dir.resolve("trained").toString());
    assertThat(trained.code()).as(trained.err()).isZero();
    checkpoints = dir.resolve("trained/checkpoints");
  }

  /**
   * A command line with {dir}, {file}, {shards}, {run}, {checkpoints}, {port} filled in, and the
   * path its error must name.
   */
  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of(
            "cluster start --dir {dir}/cluster --rest-port {port} --rpc-port {port}",
            "{dir}/cluster/log"),
        Arguments.of("cluster start --dir {file} --rest-port {port} --rpc-port {port}", "{file}"),
        Arguments.of("train --config {run} --out {file}/run", "{file}"),
        Arguments.of("train --config {run} --out /proc/polyak-test/run", "/proc/polyak-test"),
        Arguments.of("train --config {run} --out /sys/polyak-test/run", "/sys/polyak-test"),
        Arguments.of("train --config {dir}", "{dir}"),
        Arguments.of("train --config {dir}/missing.yaml", "{dir}/missing.yaml"),
        Arguments.of(
            "preprocess wikitext --input {dir}/wikitext --out {file}/shards --runner DirectRunner",
            "{file}"),
        Arguments.of(
            "preprocess cifar --input {file} --out {dir}/cifar-shards --runner DirectRunner",
            "{file}"),
        Arguments.of(
            "export --checkpoint {checkpoints} --out {file}/weights.safetensors", "{file}"),
        Arguments.of("export --checkpoint {dir}/missing.safetensors", "{dir}/missing.safetensors"),
        Arguments.of(
            "diagnose --checkpoint {checkpoints} --out {file}/diag --probe-samples 4", "{file}"),
        Arguments.of("stability --run {file} --samples 1 --steps 1", "{file}"),
        Arguments.of(
            "sweep --config {dir}/sweep.yaml --out {file}/sweep --runner DirectRunner", "{file}"),
        Arguments.of("sweep --config {dir}", "{dir}"),
        Arguments.of("report --sweep {file}", "{file}"),
        Arguments.of(
            "experiment run table1-bert-heads --scale reduced --root {dir}",
            "{dir}/shards/wikitext-2"),
        Arguments.of(
            "compare --shards {shards} --out {file}/compare --steps 2 --seeds 0 --methods dense",
            "{file}"),
        Arguments.of(
            "compare --shards {dir}/missing --out {dir}/compare --steps 2 --eval-every 2 --seeds 0"
                + " --methods dense --model mlp",
            "{dir}/missing"),
        Arguments.of("quickstart --dir {file}/quickstart", "{file}"),
        Arguments.of("quickstart --dir /proc/polyak-test", "/proc/polyak-test"),
        Arguments.of("bench report --work {file}/bench", "{file}"),
        Arguments.of("bench checkpoint --work {file}/bench", "{file}"),
        Arguments.of(
            "download --to {file}/datasets --url file:///nonexistent wikitext-2", "{file}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void aMistakeIsOneLineNamingThePathWithExitCode2(String command, String path) throws IOException {
    CliRun r = CliRun.of(args(command));

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    List<String> lines = r.err().lines().toList();
    assertThat(lines).as(r.err()).hasSize(1);
    assertThat(lines.get(0))
        .startsWith("polyak: error: ")
        .contains(fill(path))
        .doesNotContain("Exception")
        .doesNotContain("at java.");
  }

  @Test
  void verboseAddsTheJavaTraceUnderTheSameLine() throws IOException {
    String command = "train --config {run} --out {file}/run";
    CliRun quiet = CliRun.of(args(command));
    CliRun verbose = CliRun.of(args("--verbose " + command));
    CliRun verboseAfter = CliRun.of(args(command + " --verbose"));

    String line = quiet.err().lines().findFirst().orElseThrow();
    for (CliRun r : List.of(verbose, verboseAfter)) {
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err().lines().findFirst()).contains(line);
      assertThat(r.err())
          .contains("java.nio.file.FileSystemException")
          .contains("at java.")
          .contains("\tat dev.polyak.");
    }
  }

  @Test
  void pathsWithSpacesAndNonAsciiCharactersWork() throws IOException {
    Assumptions.assumeTrue(
        Charset.forName(System.getProperty("sun.jnu.encoding")).newEncoder().canEncode("Ünïcødé λ"),
        "the JVM's file-name encoding cannot name these paths; ./polyak sets a UTF-8 locale for this");
    Path folder = Files.createDirectories(dir.resolve("dir with space/Ünïcødé λ"));
    Path config = Files.writeString(folder.resolve("rün file.yaml"), Files.readString(runFile));
    Path out = folder.resolve("rün öut");

    CliRun trained = CliRun.of("train", "--config", config.toString(), "--out", out.toString());
    assertThat(trained.code()).as(trained.err()).isZero();
    assertThat(out.resolve("result.json")).exists();
    assertThat(out.resolve("checkpoints/ckpt-0000000004.safetensors")).exists();

    Path exported = folder.resolve("wëights x.safetensors");
    CliRun export =
        CliRun.of(
            "export",
            "--checkpoint",
            out.resolve("checkpoints").toString(),
            "--out",
            exported.toString());
    assertThat(export.code()).as(export.err()).isZero();
    assertThat(exported).isNotEmptyFile();

    CliRun preprocessed =
        CliRun.of(
            "preprocess",
            "wikitext",
            "--input",
            dir.resolve("wikitext").toString(),
            "--out",
            folder.resolve("shärds y").toString(),
            "--runner",
            "DirectRunner");
    assertThat(preprocessed.code()).as(preprocessed.err()).isZero();
    assertThat(folder.resolve("shärds y/manifest.json")).exists();
  }

  private static String[] args(String command) throws IOException {
    return Arrays.stream(command.split(" "))
        .map(
            a -> {
              try {
                return fill(a);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            })
        .toArray(String[]::new);
  }

  private static String fill(String text) throws IOException {
    String filled =
        text.replace("{dir}", dir.toString())
            .replace("{file}", file.toString())
            .replace("{shards}", shards.toString())
            .replace("{run}", runFile.toString())
            .replace("{checkpoints}", checkpoints.toString());
    List<ServerSocket> sockets = new java.util.ArrayList<>();
    try {
      while (filled.contains("{port}")) {
        ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(socket);
        filled = filled.replaceFirst("\\{port}", Integer.toString(socket.getLocalPort()));
      }
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
    return filled;
  }
}
