package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.SafetensorsContent;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.PruneEvent;
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
 * trains every (method, seed) cell and prints one table row per method.
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
    Path config = Files.writeString(dir.resolve("pruned.yaml"), String.join("\n",
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
    assertThat(train.out()).contains("step 10: magnitude pruning kept 4 of 8 neurons (target 4), parameters ")
        .contains("(1 pruning events)");
    PruneEvent event = AvroFiles.read(out.resolve("prune_events.avro"), PruneEvent.class).get(0);

    Path exported = dir.resolve("final.safetensors");
    CliRun export = CliRun.of("export", "--checkpoint", out.resolve("checkpoints").toString(), "--out", exported.toString());
    assertThat(export.code()).as(export.err()).isZero();
    SafetensorsContent content = Safetensors.read(exported);
    float[] mask = content.tensors().get("mask/layer0").floats();
    for (int i = 0; i < mask.length; i++) {
      assertThat(mask[i] != 0f).as("neuron %d", i).isEqualTo(event.getKeptAfter().get(i));
    }
  }

  @Test
  void compareTrainsEveryCellAndPrintsOneRowPerMethod() throws Exception {
    Path out = dir.resolve("compare");
    CliRun compare = CliRun.of("compare", "--shards", shards.toString(), "--model", "mlp", "--methods",
        "dense,random,magnitude", "--seeds", "0,1", "--steps", "12", "--prune-step", "4", "--eval-every", "4",
        "--eval-samples", "16", "--batch-size", "8", "--out", out.toString());
    assertThat(compare.code()).as(compare.err()).isZero();
    for (String method : List.of("dense", "random", "magnitude")) {
      for (int seed = 0; seed < 2; seed++) {
        assertThat(out.resolve("runs/" + method + "-seed" + seed + "/result.json")).content().contains("FINISHED");
        assertThat(compare.out()).contains(method + " seed " + seed + ": FINISHED");
      }
    }
    assertThat(out.resolve("runs/random-seed1/prune_events.avro")).exists();
    assertThat(out.resolve("runs/dense-seed1/prune_events.avro")).doesNotExist();
    String table = Files.readString(out.resolve("table.md"));
    assertThat(table).startsWith("| method | seeds | final train loss | final eval accuracy |");
    assertThat(table.lines().filter(l -> l.startsWith("| dense | 2 |") || l.startsWith("| random | 2 |")
        || l.startsWith("| magnitude | 2 |"))).hasSize(3);
    // Dense reaches its own final figure by its last evaluation at the latest.
    assertThat(table.lines().filter(l -> l.startsWith("| dense")).findFirst().orElseThrow()).doesNotContain("not reached");
    assertThat(compare.out()).contains(table.lines().findFirst().orElseThrow());
  }
}
