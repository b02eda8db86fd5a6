package dev.polyak.data.text;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides the bytes of a WikiText shard set; recorded in full in its manifest.
 *
 * @param seqLen tokens per row (BERT's 128 by default)
 * @param vocabSplit the split whose tokens are counted for the vocabulary (train: no test leakage)
 * @param minCount tokens seen fewer times in the vocabulary split become [UNK]
 * @param maxVocab the most vocabulary entries, specials included; 0 for no limit
 * @param eolToken the end-of-line token appended to every line, as in word-level language modelling
 * @param unknownMarker the source's own unknown-word token, mapped to [UNK]
 * @param tail what happens to the last tokens of a split that do not fill a whole row
 * @param rowsPerShard rows per shard file (ignored when {@code shards > 0})
 * @param shards a fixed number of shard files per split; 0 to cut by {@code rowsPerShard}
 */
public record WikiTextConfig(
    int seqLen,
    String vocabSplit,
    long minCount,
    int maxVocab,
    String eolToken,
    String unknownMarker,
    Tail tail,
    long rowsPerShard,
    int shards)
    implements Serializable {

  /** The tail of a split shorter than {@code seqLen}. */
  public enum Tail {
    /** Left out of the shards; the manifest counts the dropped tokens. */
    DROP,
    /**
     * Written as a last row padded with [PAD]; its {@code length} column says how many are real.
     */
    PAD
  }

  public static WikiTextConfig defaults() {
    return new WikiTextConfig(128, "train", 1, 0, "<eos>", "<unk>", Tail.DROP, 10_000, 0);
  }

  public WikiTextConfig {
    if (seqLen < 1) {
      throw new IllegalArgumentException("--seq-len must be at least 1, got " + seqLen);
    }
    if (minCount < 1) {
      throw new IllegalArgumentException("--min-count must be at least 1, got " + minCount);
    }
    if (maxVocab < 0) {
      throw new IllegalArgumentException(
          "--max-vocab must be 0 (no limit) or positive, got " + maxVocab);
    }
    if (rowsPerShard < 1) {
      throw new IllegalArgumentException(
          "--rows-per-shard must be at least 1, got " + rowsPerShard);
    }
    if (shards < 0) {
      throw new IllegalArgumentException(
          "--shards must be 0 (use --rows-per-shard) or positive, got " + shards);
    }
    if (eolToken.isEmpty() || eolToken.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(
          "the end-of-line token must be a non-empty word, got '" + eolToken + "'");
    }
  }

  public WikiTextConfig withVocabSplit(String split) {
    return new WikiTextConfig(
        seqLen, split, minCount, maxVocab, eolToken, unknownMarker, tail, rowsPerShard, shards);
  }

  public WikiTextConfig withRowsPerShard(long rows) {
    return new WikiTextConfig(
        seqLen, vocabSplit, minCount, maxVocab, eolToken, unknownMarker, tail, rows, 0);
  }

  /** Rows of a split of {@code tokens} tokens. */
  public long rowsFor(long tokens) {
    return tail == Tail.PAD ? (tokens + seqLen - 1) / seqLen : tokens / seqLen;
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq_len", seqLen);
    m.put("vocab_split", vocabSplit);
    m.put("min_count", minCount);
    m.put("max_vocab", maxVocab);
    m.put("eol_token", eolToken);
    m.put("unknown_marker", unknownMarker);
    m.put("tail", tail.name().toLowerCase(java.util.Locale.ROOT));
    m.put("rows_per_shard", shards > 0 ? null : rowsPerShard);
    m.put("shards", shards > 0 ? shards : null);
    return m;
  }
}
