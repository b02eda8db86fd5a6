package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.testing.TestShardSets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shard set that differs from its manifest is refused with the file and the difference. */
class ShardSetRefusesBadSetsTest {
  @TempDir Path dir;
  private Path out;

  @BeforeEach
  void writeSet() throws Exception {
    Path input = Files.createDirectory(dir.resolve("in"));
    out = Files.createDirectory(dir.resolve("out"));
    new SyntheticWikiText(200).write(input, 5, 6, 2, 2);
    TestShardSets.text(
        input,
        out,
        new WikiTextConfig(16, "train", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.DROP, 40, 0));
    assertThatCode(() -> ShardSet.open(out).tokens("train")).doesNotThrowAnyException();
  }

  private Path manifest() {
    return out.resolve(ShardSetCommitter.MANIFEST);
  }

  @Test
  void aChangedByteInAShardFailsItsSplit() {
    String name = ShardSet.open(out).shards("train").get(1).file();
    TestShardSets.corruptByte(out.resolve(name), 100);
    ShardSet set = ShardSet.open(out);
    assertThatThrownBy(() -> set.tokens("train"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("sha256")
        .hasMessageContaining("does not match");
    assertThatCode(() -> set.tokens("valid")).doesNotThrowAnyException();
  }

  @Test
  void aMissingShardFailsOpen() throws Exception {
    String name = ShardSet.open(out).shards("valid").get(0).file();
    Files.delete(out.resolve(name));
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("missing shard");
  }

  @Test
  void aTruncatedShardFailsOpenWithBothSizes() throws Exception {
    ShardEntry entry = ShardSet.open(out).shards("test").get(0);
    Path file = out.resolve(entry.file());
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(entry.file())
        .hasMessageContaining((entry.sizeBytes() - 10) + " bytes")
        .hasMessageContaining(String.valueOf(entry.sizeBytes()));
  }

  @Test
  void aShardReplacedByAnotherShardIsRefused() throws Exception {
    ShardEntry a = ShardSet.open(out).shards("train").get(0);
    ShardEntry b = ShardSet.open(out).shards("train").get(1);
    Files.copy(
        out.resolve(b.file()),
        out.resolve(a.file()),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> ShardSet.open(out).tokens("train"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(a.file());
  }

  @Test
  void aChangedVocabularyFailsOpen() throws Exception {
    Files.writeString(
        out.resolve(ShardSetCommitter.VOCABULARY),
        "x\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("vocab.txt")
        .hasMessageContaining("sha256");
  }

  @Test
  void aMissingManifestFailsOpen() throws Exception {
    Files.delete(manifest());
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("manifest.json")
        .hasMessageContaining("missing");
  }

  @Test
  void anInvalidManifestFailsOpen() throws Exception {
    Files.writeString(manifest(), "{ \"format\": ");
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("manifest.json")
        .hasMessageContaining("not a valid manifest");
  }

  @Test
  void anUnknownFormatFailsOpen() throws Exception {
    Files.writeString(
        manifest(), Files.readString(manifest()).replace("polyak.wikitext-shards", "polyak.other"));
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("manifest.json")
        .hasMessageContaining("unknown format 'polyak.other'");
  }

  @Test
  void aShardPathOutsideTheSetIsRefused() throws Exception {
    String name = ShardSet.open(out).shards("test").get(0).file();
    Files.writeString(
        manifest(),
        Files.readString(manifest()).replace("\"" + name + "\"", "\"../" + name + "\""));
    assertThatThrownBy(() -> ShardSet.open(out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not a plain file name");
  }

  @Test
  void unknownSplitAndWrongKindAreRefused() {
    ShardSet set = ShardSet.open(out);
    assertThatThrownBy(() -> set.tokens("dev"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no split 'dev'");
    assertThatThrownBy(() -> set.images("train"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not polyak.cifar-shards");
  }

  @Test
  void aMissingFolderIsRefused() {
    assertThatThrownBy(() -> ShardSet.open(dir.resolve("nowhere")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("nowhere");
  }
}
