package dev.polyak.data.read;

/**
 * The rows of one text split in memory, in sequence_index order.
 *
 * @param split train, valid or test
 * @param rows {@code rows[i]} is row i: exactly {@code seqLen} ids in [0, vocabularySize)
 * @param lengths real (non-[PAD]) ids of each row; {@code seqLen} except a padded tail row
 * @param vocabularySize ids in the vocabulary, specials included (the manifest's vocabulary.size)
 * @param seqLen ids per row (the manifest's config.seq_len)
 */
public record TokenDataset(
    String split, int[][] rows, int[] lengths, int vocabularySize, int seqLen) {
  public int size() {
    return rows.length;
  }

  public int[] row(int index) {
    return rows[index];
  }
}
