package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WikiTextLayoutTest {
  @TempDir Path dir;

  @Test
  void detectsEachOfficialLayoutAndAnySubsetOfSplits() throws IOException {
    Files.writeString(dir.resolve("wiki.valid.raw"), "x\n");
    Files.writeString(dir.resolve("wiki.test.raw"), "y\n");
    Files.writeString(dir.resolve("README"), "ignored");
    WikiTextLayout.Found found = WikiTextLayout.detect(dir);
    assertThat(found.layout()).isEqualTo(WikiTextLayout.RAW);
    assertThat(found.splits()).containsOnlyKeys("valid", "test");
    assertThat(found.splits().keySet()).containsExactly("valid", "test");
  }

  @Test
  void plainTxtNamesAreTheThirdLayout() throws IOException {
    Files.writeString(dir.resolve("train.txt"), "x\n");
    assertThat(WikiTextLayout.detect(dir).layout()).isEqualTo(WikiTextLayout.PLAIN);
  }

  @Test
  void refusesEmptyUnknownAndMixedFolders() throws IOException {
    assertThatThrownBy(() -> WikiTextLayout.detect(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("is empty");
    assertThatThrownBy(() -> WikiTextLayout.detect(dir.resolve("nope")))
        .hasMessageContaining("does not exist");
    Files.writeString(dir.resolve("corpus.csv"), "x");
    assertThatThrownBy(() -> WikiTextLayout.detect(dir))
        .hasMessageContaining("no WikiText split in a known layout")
        .hasMessageContaining("corpus.csv");
    Files.writeString(dir.resolve("wiki.train.tokens"), "x\n");
    Files.writeString(dir.resolve("valid.txt"), "x\n");
    assertThatThrownBy(() -> WikiTextLayout.detect(dir))
        .hasMessageContaining("mixes WikiText layouts");
  }
}
