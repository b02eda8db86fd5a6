package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synthetic WikiText shard set read back: every row, in order, equal to a reference windowing.
 */
class ShardSetTokensTest {
  @TempDir Path dir;

  @Test
  void readsEveryRowInSequenceOrder() throws Exception {
    Path input = Files.createDirectory(dir.resolve("in"));
    Path out = Files.createDirectory(dir.resolve("out"));
    new SyntheticWikiText(300).write(input, 3, 20, 4, 4);
    WikiTextConfig config =
        new WikiTextConfig(32, "train", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.DROP, 7, 0);
    TestShardSets.text(input, out, config);

    ShardSet set = ShardSet.open(out);
    assertThat(set.format()).isEqualTo(ShardSetFormat.WIKITEXT);
    assertThat(set.splits()).containsExactly("train", "valid", "test");
    assertThat(set.shards("train").size()).isGreaterThan(2);

    Vocabulary vocabulary = Vocabulary.read(out.resolve(ShardSetCommitter.VOCABULARY));
    for (String split : set.splits()) {
      TokenDataset data = set.tokens(split);
      assertThat(data.split()).isEqualTo(split);
      assertThat(data.seqLen()).isEqualTo(32);
      assertThat(data.vocabularySize()).isEqualTo(vocabulary.size());
      List<Integer> reference =
          TestShardSets.referenceIds(
              input.resolve("wiki." + split + ".tokens"), vocabulary, "<eos>", "<unk>");
      assertThat(data.size()).isEqualTo(reference.size() / 32);
      for (int r = 0; r < data.size(); r++) {
        int[] expected =
            reference.subList(r * 32, (r + 1) * 32).stream().mapToInt(Integer::intValue).toArray();
        assertThat(data.row(r)).as("%s row %d", split, r).isEqualTo(expected);
        assertThat(data.lengths()[r]).isEqualTo(32);
      }
    }
  }

  @Test
  void paddedTailKeepsItsLength() throws Exception {
    Path input = Files.createDirectory(dir.resolve("in"));
    Path out = Files.createDirectory(dir.resolve("out"));
    new SyntheticWikiText(100).write(input, 4, 3, 1, 1);
    WikiTextConfig config =
        new WikiTextConfig(50, "train", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.PAD, 1000, 2);
    TestShardSets.text(input, out, config);

    TokenDataset valid = ShardSet.open(out).tokens("valid");
    Vocabulary vocabulary = Vocabulary.read(out.resolve(ShardSetCommitter.VOCABULARY));
    int tokens =
        TestShardSets.referenceIds(input.resolve("wiki.valid.tokens"), vocabulary, "<eos>", "<unk>")
            .size();
    int last = valid.size() - 1;
    assertThat(valid.size()).isEqualTo((tokens + 49) / 50);
    assertThat(valid.lengths()[last]).isEqualTo(tokens - last * 50);
    assertThat(tokens % 50).as("the tail is partial").isNotZero();
    for (int i = valid.lengths()[last]; i < 50; i++) {
      assertThat(valid.row(last)[i]).isEqualTo(Vocabulary.PAD_ID);
    }
  }
}
