package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir Path dir;

  @Test
  void fileNamesCarryTheStepInTenDigitsAndSortByStep() {
    assertThat(CheckpointStore.fileName(42, false)).isEqualTo("ckpt-0000000042.safetensors");
    assertThat(CheckpointStore.fileName(42, true)).isEqualTo("ckpt-0000000042-prune.safetensors");
    List<String> names =
        Stream.of(5L, 40L, 300L, 1_234_567_890L)
            .map(step -> CheckpointStore.fileName(step, false))
            .toList();
    assertThat(names).isSorted();
  }

  @Test
  void fileNamesUseAsciiDigitsWhateverTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try {
      // Arabic digits in an Arabic default locale with plain String.format ("ckpt-٠٠٠٠٠٠٠٠٤٢...")
      Locale.setDefault(Locale.forLanguageTag("ar-EG-u-nu-arab"));
      assertThat(CheckpointStore.fileName(42, false)).isEqualTo("ckpt-0000000042.safetensors");
      assertThat(CheckpointStore.fileName(42, true)).isEqualTo("ckpt-0000000042-prune.safetensors");
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void listIsOrderedByStepAndSkipsOtherFiles() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    for (long step : new long[] {300, 5, 40}) {
      store.save(TestCheckpoints.sample(step, false));
    }
    store.save(TestCheckpoints.sample(40, true));
    Files.writeString(dir.resolve("notes.txt"), "x");
    Files.writeString(dir.resolve(".ckpt-123.tmp"), "partial");

    assertThat(store.list())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "ckpt-0000000005.safetensors",
            "ckpt-0000000040.safetensors",
            "ckpt-0000000040-prune.safetensors",
            "ckpt-0000000300.safetensors");
  }

  @Test
  void anEmptyOrMissingFolderHasNoCheckpoint() {
    assertThat(new CheckpointStore(dir.resolve("missing"), RetentionPolicy.keepAll()).latestValid())
        .isEmpty();
    assertThat(new CheckpointStore(dir, RetentionPolicy.keepAll()).list()).isEmpty();
  }

  @Test
  void latestValidIsTheNewestStep() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    store.save(TestCheckpoints.sample(100, false));
    store.save(TestCheckpoints.sample(200, false));

    assertThat(store.latestValid()).contains(TestCheckpoints.sample(200, false));
  }

  @Test
  void aCrashMidSaveFallsBackToThePreviousCheckpoint() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    store.save(TestCheckpoints.sample(100, false));
    Path next = store.save(TestCheckpoints.sample(200, false));
    byte[] whole = Files.readAllBytes(next);
    // What a non-atomic writer would leave: a partial temporary file and a truncated final file.
    Files.write(dir.resolve(".ckpt-987654.tmp"), Arrays.copyOf(whole, whole.length / 3));
    Files.write(next, Arrays.copyOf(whole, whole.length - 10));

    assertThat(store.latestValid()).contains(TestCheckpoints.sample(100, false));
    assertThat(store.deleteTemporaryFiles()).isEqualTo(1);
    assertThat(dir.resolve(".ckpt-987654.tmp")).doesNotExist();
  }

  @Test
  void aCorruptNewestCheckpointIsSkipped() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    store.save(TestCheckpoints.sample(100, false));
    Path newest = store.save(TestCheckpoints.sample(200, false));
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 1] ^= 0x40;
    Files.write(newest, bytes);

    assertThat(store.latestValid()).map(Checkpoint::step).contains(100L);
  }

  @Test
  void saveLeavesNoTemporaryFileAndReplacesTheSameStep() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());
    store.save(TestCheckpoints.sample(100, false));
    Checkpoint replacement =
        Checkpoint.builder()
            .setStep(100)
            .setWeights(TestCheckpoints.sample(7, false).weights())
            .setRunSpecJson("{}")
            .build();

    store.save(replacement);

    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactly("ckpt-0000000100.safetensors");
    }
    assertThat(store.latestValid()).contains(replacement);
  }
}
