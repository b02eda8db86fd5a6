package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.testing.SharedData;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Genuine WikiText-2 valid and test (train is not in shared/data, so the vocabulary comes from
 * valid) written with the model-level classes, then read back and corrupted. Skipped without the
 * real data.
 */
class RealWikiTextShardSetTest {
  @TempDir Path dir;

  @Test
  void readsWikiText2AndRefusesACorruptedShard() throws Exception {
    SharedData.file("wikitext-2/valid.txt");
    SharedData.file("wikitext-2/test.txt");
    Path input = Files.createDirectory(dir.resolve("in"));
    for (String split : List.of("valid", "test")) {
      Files.copy(SharedData.file("wikitext-2/" + split + ".txt"), input.resolve(split + ".txt"));
    }
    Path out = Files.createDirectory(dir.resolve("out"));
    WikiTextConfig config =
        new WikiTextConfig(128, "valid", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.DROP, 500, 0);
    TestShardSets.text(input, out, config);

    ShardSet set = ShardSet.open(out);
    assertThat(set.splits()).containsExactly("valid", "test");
    TokenDataset valid = set.tokens("valid");
    TokenDataset test = set.tokens("test");
    // the published counts: 217,646 and 245,569 tokens with line ends
    assertThat(valid.size()).isEqualTo(217_646 / 128);
    assertThat(test.size()).isEqualTo(245_569 / 128);
    assertThat(valid.seqLen()).isEqualTo(128);
    Vocabulary vocabulary = Vocabulary.read(out.resolve(ShardSetCommitter.VOCABULARY));
    assertThat(valid.vocabularySize()).isEqualTo(vocabulary.size());

    List<Integer> reference =
        TestShardSets.referenceIds(input.resolve("test.txt"), vocabulary, "<eos>", "<unk>");
    assertThat(reference).hasSize(245_569);
    for (int r : new int[] {0, 1, test.size() / 2, test.size() - 1}) {
      int[] expected =
          reference.subList(r * 128, (r + 1) * 128).stream().mapToInt(Integer::intValue).toArray();
      assertThat(test.row(r)).as("test row %d", r).isEqualTo(expected);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> splits = (Map<String, Object>) set.manifest().get("splits");
    assertThat(splits).containsKeys("valid", "test");

    ShardEntry victim = set.shards("test").get(1);
    TestShardSets.corruptByte(out.resolve(victim.file()), victim.sizeBytes() / 2);
    ShardSet reopened = ShardSet.open(out);
    assertThat(reopened.tokens("valid").size()).isEqualTo(valid.size());
    assertThatThrownBy(() -> reopened.tokens("test"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(victim.file())
        .hasMessageContaining("does not match " + victim.sha256());
  }
}
