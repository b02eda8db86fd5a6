package dev.polyak.data.read;

import dev.polyak.data.text.Vocabulary;
import dev.polyak.random.RandomStream;

/**
 * BERT's masked-language-model corruption of one row: each position not holding a special id (below
 * {@link #FIRST_WORD_ID}) is selected with {@code maskProbability}; a selected position becomes
 * [MASK] with probability {@code maskFraction}, a random word id with probability {@code
 * randomFraction}, and otherwise keeps its id. Labels hold the original id at selected positions
 * and {@link #IGNORE_LABEL} elsewhere. The draws follow a fixed order, part of reproducibility:
 * seek the stream to a position derived from (epoch, sample) before {@link #apply} to make a row's
 * masking independent of the rows before it.
 *
 * <p>The draw order: docs/design/data.md (MlmMasking).
 *
 * @param vocabularySize ids in the vocabulary, specials included; more than 5
 * @param maskProbability the chance that a word position is selected (BERT: 0.15)
 * @param maskFraction of the selected, the share replaced by [MASK] (BERT: 0.8)
 * @param randomFraction of the selected, the share replaced by a random word (BERT: 0.1)
 */
public record MlmMasking(
    int vocabularySize, double maskProbability, double maskFraction, double randomFraction) {
  /** The label of a position that is not predicted: PyTorch's default {@code ignore_index}. */
  public static final int IGNORE_LABEL = -100;

  /** The first id that is not a special token. */
  public static final int FIRST_WORD_ID = Vocabulary.SPECIAL_TOKENS.size();

  public MlmMasking {
    if (vocabularySize <= FIRST_WORD_ID) {
      throw new IllegalArgumentException(
          "vocabulary size " + vocabularySize + " has no word beside the specials");
    }
    if (!(maskProbability >= 0 && maskProbability <= 1)) {
      throw new IllegalArgumentException(
          "mask probability must be in [0, 1], got " + maskProbability);
    }
    if (!(maskFraction >= 0 && randomFraction >= 0 && maskFraction + randomFraction <= 1)) {
      throw new IllegalArgumentException(
          "mask and random fractions must be >= 0 with a sum <= 1, got "
              + maskFraction
              + " and "
              + randomFraction);
    }
  }

  /** BERT's settings: 15 % of word positions, of which 80 % [MASK], 10 % random, 10 % kept. */
  public static MlmMasking bert(int vocabularySize) {
    return new MlmMasking(vocabularySize, 0.15, 0.8, 0.1);
  }

  /** The corrupted input and the labels of one row. */
  public record Masked(int[] inputIds, int[] labels) {}

  public Masked apply(int[] ids, RandomStream stream) {
    int[] input = ids.clone();
    int[] labels = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      labels[i] = IGNORE_LABEL;
      if (ids[i] < FIRST_WORD_ID || stream.nextDouble() >= maskProbability) {
        continue;
      }
      labels[i] = ids[i];
      double v = stream.nextDouble();
      if (v < maskFraction) {
        input[i] = Vocabulary.MASK_ID;
      } else if (v < maskFraction + randomFraction) {
        input[i] = FIRST_WORD_ID + stream.nextInt(vocabularySize - FIRST_WORD_ID);
      }
    }
    return new Masked(input, labels);
  }
}
