package dev.polyak.data.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardSetCommitterTest {
  @TempDir Path out;

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text);
  }

  private static long entries(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.count();
    }
  }

  @Test
  void commitMovesEverythingInAndRemovesTheTemporaryFolder() throws IOException {
    Path temp = ShardSetCommitter.prepare(out, false);
    assertThat(temp.getParent()).isEqualTo(out);
    assertThat(temp.getFileName().toString()).startsWith(".polyak-tmp-");
    write(temp.resolve("train-00000-of-00001.parquet"), "shard");
    write(temp.resolve("manifest.json"), "{}");
    ShardSetCommitter.commit(temp, out, false);
    assertThat(out.resolve("train-00000-of-00001.parquet")).hasContent("shard");
    assertThat(out.resolve("manifest.json")).hasContent("{}");
    assertThat(temp).doesNotExist();
  }

  @Test
  void refusesAnExistingShardSetUnlessOverwriteAndThenReplacesItWhole() throws IOException {
    write(out.resolve("manifest.json"), "old");
    write(out.resolve("train-00000-of-00002.parquet"), "old0");
    write(out.resolve("train-00001-of-00002.parquet"), "old1");
    write(out.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> ShardSetCommitter.prepare(out, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(out.toString())
        .hasMessageContaining("--overwrite");
    assertThat(entries(out)).isEqualTo(4);

    Path temp = ShardSetCommitter.prepare(out, true);
    write(temp.resolve("train-00000-of-00001.parquet"), "new");
    write(temp.resolve("manifest.json"), "new");
    ShardSetCommitter.commit(temp, out, true);
    assertThat(out.resolve("train-00001-of-00002.parquet")).doesNotExist();
    assertThat(out.resolve("train-00000-of-00002.parquet")).doesNotExist();
    assertThat(out.resolve("train-00000-of-00001.parquet")).hasContent("new");
    assertThat(out.resolve("manifest.json")).hasContent("new");
    assertThat(out.resolve("notes.txt")).hasContent("mine");
  }

  @Test
  void abandonLeavesTheOutputAsItWas() throws IOException {
    write(out.resolve("notes.txt"), "mine");
    Path temp = ShardSetCommitter.prepare(out, false);
    write(temp.resolve("train-00000-of-00001.parquet"), "half");
    ShardSetCommitter.abandon(temp);
    assertThat(temp).doesNotExist();
    assertThat(entries(out)).isEqualTo(1);
  }

  @Test
  void anOutputThatIsAFileIsRefused() throws IOException {
    Path file = out.resolve("file");
    write(file, "x");
    assertThatThrownBy(() -> ShardSetCommitter.prepare(file, true))
        .hasMessageContaining("not a folder");
  }
}
