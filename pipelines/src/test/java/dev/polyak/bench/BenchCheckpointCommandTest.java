package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCheckpointCommandTest {
  @TempDir Path dir;

  @Test
  void measuresAKnownPresetAndSkipsAnUnknownOne() {
    Path work = dir.resolve("work");

    BenchRun r =
        BenchRun.of(
            "checkpoint",
            "--models",
            "switch-nano,mlp",
            "--repeats",
            "1",
            "--work",
            work.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("switch-nano: no such preset, skipped")
        .containsPattern("(?m)^mlp +1,841,162 +14\\.7 ")
        .contains("bert-base: not measured");
    assertThat(Files.exists(work.resolve("checkpoints/mlp/ckpt-0000000001.safetensors"))).isTrue();
    assertThat(Files.exists(work.resolve("shards/wikitext")))
        .as("no text model, no text shards")
        .isFalse();
  }
}
