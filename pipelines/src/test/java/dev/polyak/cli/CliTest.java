package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.manifest.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void everyLevelHasHelp() {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"preprocess", "--help"},
          {"preprocess", "wikitext", "--help"},
          {"preprocess", "cifar", "--help"},
          {"download", "--help"},
          {"quickstart", "--help"},
          {"bench", "--help"},
          {"bench", "preprocess", "--help"},
          {"bench", "train", "--help"},
          {"train", "--help"},
          {"export", "--help"},
          {"stability", "--help"}
        }) {
      CliRun r = run(args);
      assertThat(r.code()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).contains("Usage: polyak").contains("--help");
    }
    // Every command of the tree, found by walking it: help prints, and no description is a broken
    // format
    // string (picocli only warns on stderr, e.g. for a lone '%').
    int commands = 0;
    for (picocli.CommandLine command : CommandTree.all()) {
      java.util.List<String> args = new java.util.ArrayList<>(CommandTree.path(command));
      args.add("--help");
      java.io.PrintStream stderr = System.err;
      java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
      CliRun r;
      try {
        System.setErr(
            new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        r = run(args.toArray(String[]::new));
      } finally {
        System.setErr(stderr);
      }
      assertThat(r.code()).as(String.join(" ", args)).isZero();
      assertThat(r.err() + warnings.toString(java.nio.charset.StandardCharsets.UTF_8))
          .as(String.join(" ", args))
          .doesNotContain("Could not format");
      commands++;
    }
    assertThat(commands).isGreaterThanOrEqualTo(18);
    assertThat(run("preprocess", "wikitext", "--help").out())
        .contains("--seq-len")
        .contains("--vocab-split")
        .contains("--flink-master")
        .contains("--rows-per-shard");
    assertThat(run("train", "--help").out())
        .contains("--config")
        .contains("--device")
        .contains("--threads");
    assertThat(run("bench", "train", "--help").out())
        .contains("--reference")
        .contains("--rss-steps");
  }

  @Test
  void versionNamesPolyakAndTheStack() {
    CliRun r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith("polyak 0.1.0-SNAPSHOT (git ")
        .contains("Apache Beam 2.62.0")
        .contains("Flink 1.19.0");
  }

  @Test
  void badInputExitsWithCode2AndAMessageNamingTheFolder() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    CliRun r =
        run(
            "preprocess",
            "wikitext",
            "--input",
            empty.toString(),
            "--out",
            dir.resolve("out").toString(),
            "--runner",
            "DirectRunner");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("polyak: error: input folder " + empty + " is empty");
    CliRun usage = run("preprocess", "wikitext", "--input", empty.toString());
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Missing required option: '--out=<out>'");
    CliRun both =
        run(
            "preprocess",
            "cifar",
            "--input",
            "x",
            "--out",
            "y",
            "--shards",
            "2",
            "--rows-per-shard",
            "5");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
  }

  @Test
  @SuppressWarnings("unchecked")
  void quickstartGeneratesAndPreprocessesBothDatasetsOnEmbeddedFlink() {
    Path work = dir.resolve("qs");
    CliRun r =
        run(
            "quickstart",
            "--dir",
            work.toString(),
            "--articles",
            "30",
            "--images-per-file",
            "40",
            "--steps",
            "100");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    Map<String, Object> text = Manifests.read(work.resolve("shards/wikitext/manifest.json"));
    Map<String, Object> images = Manifests.read(work.resolve("shards/cifar10/manifest.json"));
    assertThat(((Map<String, Object>) text.get("splits")).keySet())
        .containsExactly("train", "valid", "test");
    Map<String, Object> train =
        (Map<String, Object>) ((Map<String, Object>) images.get("splits")).get("train");
    assertThat(train.get("rows")).isEqualTo(200);
    // It swept bert-tiny x {dense, pl-gate, random} x 2 seeds, ending with the report's path and a
    // three-line summary, and wrote run files that polyak train accepts.
    Path report = work.resolve("sweep/report").toAbsolutePath();
    assertThat(r.out())
        .contains("report: " + report.resolve("report.html"))
        .containsPattern("method=dense +\\| +2/2 \\|")
        .containsPattern("method=pl-gate ratio=0.5 +\\| +2/2 \\|")
        .containsPattern("method=random ratio=0.5 +\\| +2/2 \\|");
    assertThat(
            dev.polyak.data.io.AvroFiles.read(
                report.resolve("runs.avro"), dev.polyak.schemas.RunRecord.class))
        .hasSize(6)
        .allSatisfy(
            run -> assertThat(run.getStatus()).isEqualTo(dev.polyak.schemas.RunStatus.FINISHED));
    assertThat(
            dev.polyak.data.io.AvroFiles.read(
                report.resolve("diagnostics.avro"), dev.polyak.schemas.DiagnosticRecord.class))
        .isNotEmpty();
    // The sweep folder keeps its sweep file, whose four claims the report tests and prints.
    assertThat(work.resolve("sweep/sweep.yaml"))
        .hasSameTextualContentAs(work.resolve("sweep.yaml"));
    assertThat(
            dev.polyak.data.io.AvroFiles.read(
                report.resolve("claims.avro"), dev.polyak.schemas.ClaimRecord.class))
        .extracting(dev.polyak.schemas.ClaimRecord::getId)
        .containsExactly(
            "plgate-lower-final-perplexity",
            "plgate-lower-than-random",
            "random-higher-than-dense",
            "plgate-pruning-lowers-kappa");
    assertThat(r.out().lines().filter(l -> l.startsWith("claim ")).count()).isEqualTo(4);
    assertThat(r.out())
        .containsPattern("claim plgate-lower-final-perplexity: [A-Z]+, final_metric");
    dev.polyak.train.RunSpec.load(work.resolve("runs/vgg16.yaml"));
    dev.polyak.train.RunSpec bert =
        dev.polyak.train.RunSpec.load(work.resolve("runs/bert-tiny.yaml"));
    assertThat(bert.data()).isEqualTo(work.resolve("shards/wikitext").toAbsolutePath().normalize());
    // Running it again replaces its own output instead of refusing.
    CliRun again =
        run(
            "quickstart",
            "--dir",
            work.toString(),
            "--articles",
            "30",
            "--images-per-file",
            "40",
            "--steps",
            "100");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
  }
}
