package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsExportTest {
  @TempDir Path dir;

  @Test
  void writesWeightsAndMasksOnlyWithStepAndRunSpec() throws IOException {
    Path out = dir.resolve("model.safetensors");

    SafetensorsExport.write(out, TestCheckpoints.sample(1200, true));

    IndependentSafetensorsReader.File parsed = IndependentSafetensorsReader.read(out);
    assertThat(parsed.tensors().keySet())
        .containsExactly(
            "encoder.0.attention.query.bias",
            "encoder.0.attention.query.weight",
            "mask/encoder.0.heads");
    assertThat(parsed.tensors().get("encoder.0.attention.query.weight").shape())
        .containsExactly(2, 3);
    assertThat(parsed.tensors().get("mask/encoder.0.heads").values()).containsExactly(1, 0, 1, 1);
    assertThat(parsed.metadata())
        .containsEntry("format", "pt")
        .containsEntry("polyak.step", "1200")
        .containsEntry("polyak.run_spec", TestCheckpoints.RUN_SPEC)
        .containsEntry("polyak.version", "0.1.0-test")
        .doesNotContainKeys("polyak.metrics", "polyak.random_cursors");
  }

  @Test
  void aWeightCollidingWithAMaskNameIsRefused() {
    Checkpoint colliding =
        Checkpoint.builder()
            .setStep(1)
            .setWeights(Map.of("mask/a", Tensor.ofFloats(new float[] {1}, 1)))
            .optMasks(Map.of("a", Tensor.ofBytes(new byte[] {1}, 1)))
            .setRunSpecJson("{}")
            .build();

    assertThatThrownBy(() -> SafetensorsExport.write(dir.resolve("x.safetensors"), colliding))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("collides");
  }
}
