package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VocabularyTest {
  @Test
  void specialsFirstThenByDescendingCountThenByText() {
    Map<String, Long> counts =
        Map.of("the", 5L, "b", 2L, "a", 2L, "<unk>", 9L, "zeta", 1L, "<eos>", 3L);
    Vocabulary v = Vocabulary.build(counts, 1, 0, "<unk>");
    assertThat(v.tokens())
        .containsExactly(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "<eos>", "a", "b", "zeta");
  }

  @Test
  void minCountAndMaxSizeCutTheTail() {
    Map<String, Long> counts = Map.of("the", 5L, "b", 2L, "a", 2L, "zeta", 1L);
    assertThat(Vocabulary.build(counts, 2, 0, "<unk>").tokens())
        .endsWith("the", "a", "b")
        .hasSize(8);
    assertThat(Vocabulary.build(counts, 1, 7, "<unk>").tokens()).endsWith("the", "a").hasSize(7);
    assertThatThrownBy(() -> Vocabulary.build(counts, 1, 5, "<unk>"))
        .hasMessageContaining("no room");
  }

  @Test
  void tiesAreBrokenByCodePointNotByUtf16Units() {
    // U+FF21 (fullwidth A) sorts before U+1F600 by code point, after it by UTF-16 code unit.
    String fullwidth = "\uFF21";
    String emoji = new String(Character.toChars(0x1F600));
    Vocabulary v = Vocabulary.build(Map.of(emoji, 1L, fullwidth, 1L), 1, 0, "<unk>");
    assertThat(v.tokens()).endsWith(fullwidth, emoji);
  }

  @Test
  void fileIsOneTokenPerLineAndTheIndexMapsBytesToIds() {
    Vocabulary v = Vocabulary.build(Map.of("über", 3L, "x", 1L), 1, 0, "<unk>");
    assertThat(new String(v.fileBytes(), StandardCharsets.UTF_8))
        .isEqualTo("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nüber\nx\n");
    ByteSliceMap index = v.index("<unk>");
    byte[] text = "an über <unk> x".getBytes(StandardCharsets.UTF_8);
    assertThat(index.get(text, 3, 3 + "über".getBytes(StandardCharsets.UTF_8).length, -1))
        .isEqualTo(5);
    assertThat(index.get(text, 0, 2, -1)).isEqualTo(-1);
    assertThat(index.get("<unk>".getBytes(StandardCharsets.UTF_8), 0, 5, -1))
        .isEqualTo(Vocabulary.UNK_ID);
  }
}
