package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.data.text.Vocabulary;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

class MlmMaskingTest {
  private static final int VOCABULARY = 1000;
  private final MlmMasking masking = MlmMasking.bert(VOCABULARY);

  /** A row with word ids and every special, including a [PAD] tail. */
  private static int[] row(RandomStream s) {
    int[] ids = new int[128];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 5 + s.nextInt(VOCABULARY - 5);
    }
    ids[0] = Vocabulary.CLS_ID;
    ids[10] = Vocabulary.UNK_ID;
    ids[20] = Vocabulary.SEP_ID;
    ids[30] = Vocabulary.MASK_ID;
    for (int i = 120; i < 128; i++) {
      ids[i] = Vocabulary.PAD_ID;
    }
    return ids;
  }

  @Test
  void sameStreamPositionGivesTheSameMasking() {
    int[] ids = row(new RandomStreams(1).stream("rows"));
    RandomStream s = new RandomStreams(3).stream(RandomStreams.MASKING);
    s.seek(12345);
    MlmMasking.Masked first = masking.apply(ids, s);
    long after = s.position();
    MlmMasking.Masked second = masking.apply(ids, s);
    s.seek(12345);
    MlmMasking.Masked again = masking.apply(ids, s);
    assertThat(again.inputIds()).isEqualTo(first.inputIds());
    assertThat(again.labels()).isEqualTo(first.labels());
    assertThat(s.position()).isEqualTo(after);
    assertThat(second.labels()).isNotEqualTo(first.labels());
  }

  @Test
  void proportionsFollowBert() {
    RandomStream rows = new RandomStreams(1).stream("rows");
    RandomStream s = new RandomStreams(4).stream(RandomStreams.MASKING);
    long words = 0;
    long selected = 0;
    long masked = 0;
    long replaced = 0;
    long kept = 0;
    for (int r = 0; r < 5000; r++) {
      int[] ids = row(rows);
      int[] original = ids.clone();
      MlmMasking.Masked m = masking.apply(ids, s);
      assertThat(ids).as("the input row is not modified").isEqualTo(original);
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 5) {
          assertThat(m.labels()[i])
              .as("special at %d never selected", i)
              .isEqualTo(MlmMasking.IGNORE_LABEL);
          assertThat(m.inputIds()[i]).isEqualTo(ids[i]);
          continue;
        }
        words++;
        if (m.labels()[i] == MlmMasking.IGNORE_LABEL) {
          assertThat(m.inputIds()[i]).isEqualTo(ids[i]);
          continue;
        }
        selected++;
        assertThat(m.labels()[i]).isEqualTo(ids[i]);
        int in = m.inputIds()[i];
        if (in == Vocabulary.MASK_ID) {
          masked++;
        } else if (in == ids[i]) {
          kept++;
        } else {
          assertThat(in).isBetween(5, VOCABULARY - 1);
          replaced++;
        }
      }
    }
    assertThat(selected / (double) words).isCloseTo(0.15, within(0.003));
    assertThat(masked / (double) selected).isCloseTo(0.8, within(0.01));
    // a random replacement equals the original 1 time in 995; it then counts as kept
    assertThat(replaced / (double) selected).isCloseTo(0.1, within(0.01));
    assertThat(kept / (double) selected).isCloseTo(0.1, within(0.01));
  }

  @Test
  void drawOrderIsAsDocumented() {
    int[] ids = {Vocabulary.CLS_ID, 7, 8, 9, Vocabulary.PAD_ID};
    MlmMasking always = new MlmMasking(50, 1.0, 0.0, 1.0);
    RandomStream s = new RandomStreams(8).stream(RandomStreams.MASKING);
    RandomStream mirror = s.copy();
    MlmMasking.Masked m = always.apply(ids, s);
    int[] expected = {Vocabulary.CLS_ID, 0, 0, 0, Vocabulary.PAD_ID};
    for (int i = 1; i <= 3; i++) {
      mirror.nextDouble(); // selection
      mirror.nextDouble(); // 80/10/10 choice
      expected[i] = 5 + mirror.nextInt(45);
    }
    assertThat(m.inputIds()).containsExactly(expected);
    assertThat(m.labels()).containsExactly(-100, 7, 8, 9, -100);
    assertThat(s.position()).isEqualTo(mirror.position());
  }

  @Test
  void zeroProbabilitySelectsNothing() {
    int[] ids = {5, 6, 7};
    MlmMasking.Masked m =
        new MlmMasking(10, 0.0, 0.8, 0.1).apply(ids, new RandomStreams(1).stream("m"));
    assertThat(m.labels()).containsOnly(MlmMasking.IGNORE_LABEL);
    assertThat(m.inputIds()).containsExactly(5, 6, 7);
  }
}
