package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRoundTripTest {
  @TempDir Path dir;

  @Test
  void everyFieldSurvivesSaveAndLoad() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    Checkpoint original = TestCheckpoints.sample(1200, true);

    Checkpoint loaded = store.load(store.save(original));

    assertThat(loaded).isEqualTo(original);
    assertThat(loaded.step()).isEqualTo(1200);
    assertThat(loaded.weights()).isEqualTo(original.weights()).hasSize(2);
    assertThat(loaded.optimizerState()).isEqualTo(original.optimizerState()).hasSize(2);
    assertThat(loaded.masks()).isEqualTo(original.masks()).hasSize(1);
    assertThat(loaded.randomCursors()).containsEntry("data order", 2200L).hasSize(3);
    assertThat(loaded.runSpecJson()).isEqualTo(TestCheckpoints.RUN_SPEC);
    assertThat(loaded.metricsJson()).isEqualTo(original.metricsJson());
    assertThat(loaded.pruning()).isTrue();
    assertThat(loaded.polyakVersion()).isEqualTo("0.1.0-test");
  }

  @Test
  void anEmptyCheckpointSurvivesToo() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    Checkpoint empty =
        Checkpoint.builder().setStep(0).setWeights(Map.of()).setRunSpecJson("{}").build();

    assertThat(store.load(store.save(empty))).isEqualTo(empty);
    assertThat(empty.metricsJson()).isEqualTo("{}");
  }

  @Test
  void theFileIsPlainSafetensorsWithPrefixedNamesAndPolyakMetadata() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());

    Path file = store.save(TestCheckpoints.sample(5, false));

    assertThat(file.getFileName()).hasToString("ckpt-0000000005.safetensors");
    IndependentSafetensorsReader.File parsed = IndependentSafetensorsReader.read(file);
    assertThat(parsed.tensors().keySet())
        .containsExactly(
            "masks/encoder.0.heads",
            "optimizer/encoder.0.attention.query.weight.m",
            "optimizer/step",
            "weights/encoder.0.attention.query.bias",
            "weights/encoder.0.attention.query.weight");
    assertThat(parsed.tensors().get("weights/encoder.0.attention.query.weight").values())
        .containsExactly(6, 0.5, -1.25, 2, 3, 4);
    assertThat(parsed.metadata())
        .containsEntry("polyak.format", "polyak.checkpoint/1")
        .containsEntry("polyak.step", "5")
        .containsEntry("polyak.pruning", "false")
        .containsEntry("polyak.version", "0.1.0-test")
        .containsEntry("polyak.run_spec", TestCheckpoints.RUN_SPEC)
        .containsKeys("polyak.metrics", "polyak.data_sha256", "polyak.header_sha256");
    assertThat(
            new ObjectMapper()
                .readTree(parsed.metadata().get("polyak.random_cursors"))
                .get("data order")
                .asLong())
        .isEqualTo(1005);
    assertThat(parsed.metadata().get("polyak.data_sha256")).matches("[0-9a-f]{64}");
  }

  @Test
  void theSameCheckpointGivesTheSameBytes() throws IOException {
    Path first =
        new CheckpointStore(dir.resolve("a"), RetentionPolicy.keepAll())
            .save(TestCheckpoints.sample(9, false));
    Path second =
        new CheckpointStore(dir.resolve("b"), RetentionPolicy.keepAll())
            .save(TestCheckpoints.sample(9, false));

    assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(second));
  }
}
