package dev.polyak.data.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarLayoutTest {
  @TempDir Path dir;

  @Test
  void detectsCifar10AndCountsRecordsFromSizes() throws IOException {
    Files.write(dir.resolve("data_batch_2.bin"), new byte[3073 * 3]);
    Files.write(dir.resolve("test_batch.bin"), new byte[3073]);
    CifarLayout layout = CifarLayout.detect(dir, Optional.empty());
    assertThat(layout.variant()).isEqualTo(CifarVariant.CIFAR10);
    assertThat(layout.splits().get("train"))
        .extracting(CifarLayout.SourceFile::records)
        .containsExactly(3L);
    assertThat(layout.splits().get("test"))
        .extracting(CifarLayout.SourceFile::records)
        .containsExactly(1L);
  }

  @Test
  void aSizeThatIsNotWholeRecordsNamesTheFileAndTheRemainder() throws IOException {
    Path file = dir.resolve("train.bin");
    Files.write(file, new byte[3074 * 2 + 100]);
    assertThatThrownBy(() -> CifarLayout.detect(dir, Optional.empty()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toAbsolutePath().toString())
        .hasMessageContaining("6248 bytes is not a whole number of 3074-byte cifar100 records")
        .hasMessageContaining("2 records and 100 bytes left over");
  }

  @Test
  void refusesAmbiguousUnknownAndEmptyFolders() throws IOException {
    assertThatThrownBy(() -> CifarLayout.detect(dir, Optional.empty()))
        .hasMessageContaining("is empty");
    Files.write(dir.resolve("images.bin"), new byte[3073]);
    assertThatThrownBy(() -> CifarLayout.detect(dir, Optional.empty()))
        .hasMessageContaining("no CIFAR binary file");
    Files.write(dir.resolve("test_batch.bin"), new byte[3073 * 3074]);
    Files.write(dir.resolve("test.bin"), new byte[3073 * 3074]);
    assertThatThrownBy(() -> CifarLayout.detect(dir, Optional.empty()))
        .hasMessageContaining("pass --variant");
    assertThat(CifarLayout.detect(dir, Optional.of(CifarVariant.CIFAR100)).variant())
        .isEqualTo(CifarVariant.CIFAR100);
  }
}
