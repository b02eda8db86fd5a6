package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code polyak export --checkpoint <run folder>} exports the run's newest checkpoint. */
class ExportRunFolderTest {
  @TempDir Path dir;

  @Test
  void aRunFolderStandsForItsNewestCheckpoint() throws Exception {
    Path run = dir.resolve("runs/my-run");
    CheckpointStore store =
        new CheckpointStore(run.resolve("checkpoints"), RetentionPolicy.keepAll());
    for (long step : new long[] {10, 30, 20}) {
      store.save(
          Checkpoint.builder()
              .setStep(step)
              .setWeights(Map.of("w", Tensor.ofFloats(new float[] {step}, 1)))
              .setRunSpecJson("{\"seed\":1}")
              .build());
    }
    Files.writeString(run.resolve("run.json"), "{}");
    Path out = dir.resolve("model.safetensors");

    CliRun r = CliRun.of("export", "--checkpoint", run.toString(), "--out", out.toString());

    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("exported step 30");
    assertThat(Safetensors.read(out).tensors().get("w").floats()).containsExactly(30);
  }
}
