package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.SafetensorsContent;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.service.Reports;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning from the command line: {@code polyak train} with a {@code pruning:} block prints the
 * event and writes its record, the masks survive {@code polyak export}, and {@code polyak compare}
 * runs the sweep of its (method, seed) cells and prints the sweep summary's table.
 */
class PruningCommandsTest {
  @TempDir static Path dir;
  static Path shards;

  @BeforeAll
  static void shards() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 4, 32);
  }

  @Test
  void trainPrintsTheEventAndExportKeepsItsMasks() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("pruned.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 8, layers: 1}",
                "data: cifar-shards",
                "steps: 20",
                "batch_size: 8",
                "eval_every: 10",
                "eval_samples: 32",
                "pruning: {method: magnitude, step: 10, ratio: 0.5}",
                ""));
    Path out = dir.resolve("pruned");
    CliRun train = CliRun.of("train", "--config", config.toString(), "--out", out.toString());
    assertThat(train.code()).as(train.err()).isZero();
    assertThat(train.out())
        .contains("step 10: magnitude pruning kept 4 of 8 neurons (target 4), parameters ")
        .contains("(1 pruning events)");
    PruneEvent event = AvroFiles.read(out.resolve("prune_events.avro"), PruneEvent.class).get(0);

    Path exported = dir.resolve("final.safetensors");
    CliRun export =
        CliRun.of(
            "export",
            "--checkpoint",
            out.resolve("checkpoints").toString(),
            "--out",
            exported.toString());
    assertThat(export.code()).as(export.err()).isZero();
    SafetensorsContent content = Safetensors.read(exported);
    float[] mask = content.tensors().get("mask/layer0").floats();
    for (int i = 0; i < mask.length; i++) {
      assertThat(mask[i] != 0f).as("neuron %d", i).isEqualTo(event.getKeptAfter().get(i));
    }
  }

  @Test
  void compareRunsItsSweepFileAndPrintsTheSweepSummaryTable() throws Exception {
    Path out = dir.resolve("compare");
    CliRun compare =
        CliRun.of(
            "compare",
            "--shards",
            shards.toString(),
            "--model",
            "mlp",
            "--methods",
            "dense,random,magnitude",
            "--seeds",
            "0,1",
            "--steps",
            "12",
            "--prune-step",
            "4",
            "--eval-every",
            "4",
            "--eval-samples",
            "16",
            "--batch-size",
            "8",
            "--out",
            out.toString());
    assertThat(compare.code()).as(compare.err()).isZero();
    // It ran the sweep file it wrote, as polyak sweep would: one run folder per cell.
    SweepSpec sweep = SweepSpec.load(out.resolve("sweep.yaml"));
    assertThat(sweep.cells()).hasSize(6);
    for (Cell cell : sweep.cells()) {
      Path run = out.resolve("runs").resolve(cell.runId());
      assertThat(run.resolve("result.json")).content().contains("FINISHED");
      List<Long> events =
          Files.exists(run.resolve("prune_events.avro"))
              ? AvroFiles.read(run.resolve("prune_events.avro"), PruneEvent.class).stream()
                  .map(PruneEvent::getStep)
                  .toList()
              : List.of();
      assertThat(events)
          .as(cell.config())
          .isEqualTo(cell.method().equals("dense") ? List.of() : List.of(4L));
    }
    // Its table is the sweep summary's, the one polyak report prints from the files alone.
    List<SummaryRecord> summary =
        AvroFiles.read(out.resolve("report/summary.avro"), SummaryRecord.class);
    String table = Reports.table(summary);
    assertThat(compare.out())
        .endsWith("report: " + out.toAbsolutePath().resolve("report/report.html") + "\n" + table);
    assertThat(table.lines().skip(1))
        .hasSize(3)
        .allSatisfy(row -> assertThat(row).containsPattern("\\| +2/2 \\|"));
    CliRun report = CliRun.of("report", "--sweep", out.toString());
    assertThat(report.out()).endsWith(table);
  }

  @Test
  void compareRefusesAnUnknownMethodNamingTheOption() {
    CliRun compare =
        CliRun.of(
            "compare",
            "--shards",
            shards.toString(),
            "--methods",
            "dense,nonsense",
            "--out",
            dir.resolve("refused").toString());
    assertThat(compare.code()).isEqualTo(2);
    assertThat(compare.err())
        .contains("--methods: pruning.method must be one of")
        .contains("'nonsense'");
    assertThat(dir.resolve("refused")).doesNotExist();
  }
}
