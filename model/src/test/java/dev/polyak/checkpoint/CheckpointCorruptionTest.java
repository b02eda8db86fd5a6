package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointCorruptionTest {
  @TempDir Path dir;

  private CheckpointStore store;
  private Path file;
  private byte[] original;
  private int dataStart;

  @BeforeEach
  void saveOne() throws IOException {
    store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    file = store.save(TestCheckpoints.sample(300, false));
    original = Files.readAllBytes(file);
    dataStart = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
  }

  @Test
  void aFlippedByteAnywhereInTheDataIsDetected() throws IOException {
    assertThat(original.length - dataStart).isGreaterThan(50);
    for (int at = dataStart; at < original.length; at++) {
      corrupt(at, 0x01);

      assertThatThrownBy(() -> store.load(file))
          .as("byte %d flipped", at)
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("data checksum mismatch");
    }
  }

  @Test
  void aFlippedByteAnywhereInTheHeaderIsDetected() throws IOException {
    for (int mask : new int[] {0x01, 0x20, 0x80}) {
      for (int at = 0; at < dataStart; at++) {
        corrupt(at, mask);

        assertThatThrownBy(() -> store.load(file))
            .as("byte %d xor 0x%x", at, mask)
            .isInstanceOf(CheckpointFormatException.class)
            .hasMessageContaining(file.toString());
      }
    }
  }

  @Test
  void aChangedMetadataValueFailsTheHeaderChecksum() throws IOException {
    String header = new String(original, 8, dataStart - 8, StandardCharsets.UTF_8);
    int at = 8 + header.indexOf("bert-mini") + 1;
    corrupt(at, 0x01);

    assertThatThrownBy(() -> store.load(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("header checksum mismatch");
  }

  @Test
  void everyTruncationIsDetected() throws IOException {
    for (int length = 0; length < original.length; length++) {
      Files.write(file, Arrays.copyOf(original, length));

      assertThatThrownBy(() -> store.load(file))
          .as("truncated to %d of %d bytes", length, original.length)
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining(file.toString());
    }
  }

  @Test
  void aCheckpointUnderAnotherStepsNameIsRefused() throws IOException {
    Path renamed = Files.copy(file, dir.resolve(CheckpointStore.fileName(301, false)));

    assertThatThrownBy(() -> store.load(renamed))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("the name says step 301 but the contents say step 300");
  }

  @Test
  void aPlainSafetensorsFileIsNotACheckpoint() {
    Path plain = dir.resolve("plain.safetensors");
    Safetensors.write(plain, Map.of(), Map.of("format", "pt"));

    assertThatThrownBy(() -> store.load(plain))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("polyak.format is missing, not \"polyak.checkpoint/1\"");
  }

  private void corrupt(int at, int mask) throws IOException {
    byte[] bytes = original.clone();
    bytes[at] ^= (byte) mask;
    Files.write(file, bytes);
  }
}
