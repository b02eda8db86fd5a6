package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.SafetensorsContent;
import dev.polyak.checkpoint.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path dir;

  @Test
  void exportsTheNewestValidCheckpointOfAFolder() throws Exception {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    for (long step : new long[] {10, 20}) {
      store.save(
          Checkpoint.builder()
              .setStep(step)
              .setWeights(
                  Map.of("layer0.query.weight", Tensor.ofFloats(new float[] {1, 2, 3, step}, 2, 2)))
              .optMasks(Map.of("layer0", Tensor.ofFloats(new float[] {1, 0}, 2)))
              .setRunSpecJson("{\"seed\":1}")
              .build());
    }
    // The newest file is corrupt: export falls back to step 10.
    Path newest = dir.resolve(CheckpointStore.fileName(20, false));
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 1] ^= 0x55;
    Files.write(newest, bytes);

    Path out = dir.resolve("model.safetensors");
    StringWriter console = new StringWriter();
    int code =
        PolyakCli.execute(
            new PrintWriter(console, true),
            new PrintWriter(new StringWriter(), true),
            "export",
            "--checkpoint",
            dir.toString(),
            "--out",
            out.toString());
    assertThat(code).isZero();
    assertThat(console.toString()).contains("exported step 10");
    SafetensorsContent content = Safetensors.read(out);
    assertThat(content.tensors().get("layer0.query.weight").floats()).containsExactly(1, 2, 3, 10);
    assertThat(content.tensors().get("mask/layer0").floats()).containsExactly(1, 0);

    StringWriter err = new StringWriter();
    assertThat(
            PolyakCli.execute(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true),
                "export",
                "--checkpoint",
                newest.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains(newest.getFileName().toString());
  }
}
