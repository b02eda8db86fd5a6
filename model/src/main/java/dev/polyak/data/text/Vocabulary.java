package dev.polyak.data.text;

import dev.polyak.BadInputException;
import dev.polyak.io.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A word-level vocabulary: the special tokens {@code [PAD] [UNK] [CLS] [SEP] [MASK]} as ids 0-4,
 * then the counted tokens by descending count, ties broken by token text in code-point order.
 * Written as {@code vocab.txt}, one token per line, line number = id.
 */
public final class Vocabulary {
  public static final List<String> SPECIAL_TOKENS =
      List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
  public static final int PAD_ID = 0;
  public static final int UNK_ID = 1;
  public static final int CLS_ID = 2;
  public static final int SEP_ID = 3;
  public static final int MASK_ID = 4;

  private static final Comparator<Map.Entry<String, Long>> BY_COUNT_THEN_TEXT =
      Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue)
          .reversed()
          .thenComparing(Map.Entry::getKey, Vocabulary::compareCodePoints);

  private final List<String> tokens;

  private Vocabulary(List<String> tokens) {
    this.tokens = List.copyOf(tokens);
  }

  /**
   * Builds the vocabulary from token counts.
   *
   * @param minCount tokens seen fewer times are left out (they become [UNK])
   * @param maxSize the most tokens in all, specials included; 0 for no limit
   * @param unknownMarker the source's own unknown-word token (WikiText's {@code <unk>}), which maps
   *     to [UNK] instead of getting an id of its own
   */
  public static Vocabulary build(
      Map<String, Long> counts, long minCount, int maxSize, String unknownMarker) {
    if (maxSize != 0 && maxSize <= SPECIAL_TOKENS.size()) {
      throw new IllegalArgumentException(
          "max vocabulary size " + maxSize + " leaves no room beside the 5 special tokens");
    }
    List<Map.Entry<String, Long>> entries = new ArrayList<>();
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (e.getValue() >= minCount
          && !e.getKey().equals(unknownMarker)
          && !SPECIAL_TOKENS.contains(e.getKey())) {
        entries.add(e);
      }
    }
    entries.sort(BY_COUNT_THEN_TEXT);
    List<String> tokens = new ArrayList<>(SPECIAL_TOKENS);
    for (Map.Entry<String, Long> e : entries) {
      if (maxSize != 0 && tokens.size() >= maxSize) {
        break;
      }
      tokens.add(e.getKey());
    }
    return new Vocabulary(tokens);
  }

  public static Vocabulary of(List<String> tokens) {
    if (tokens.size() < SPECIAL_TOKENS.size()
        || !tokens.subList(0, SPECIAL_TOKENS.size()).equals(SPECIAL_TOKENS)) {
      throw new IllegalArgumentException("a vocabulary starts with " + SPECIAL_TOKENS);
    }
    return new Vocabulary(tokens);
  }

  /** Reads a {@code vocab.txt}. */
  public static Vocabulary read(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.size() < SPECIAL_TOKENS.size()
          || !lines.subList(0, SPECIAL_TOKENS.size()).equals(SPECIAL_TOKENS)) {
        throw new BadInputException(
            file + " is not a polyak vocabulary: it must start with " + SPECIAL_TOKENS);
      }
      return new Vocabulary(lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read vocabulary " + file, e);
    }
  }

  public List<String> tokens() {
    return tokens;
  }

  public int size() {
    return tokens.size();
  }

  public String token(int id) {
    return tokens.get(id);
  }

  /** The bytes of {@code vocab.txt}: every token followed by a newline. */
  public byte[] fileBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.size() * 10);
    for (String token : tokens) {
      out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
    return out.toByteArray();
  }

  public String sha256() {
    return Digests.sha256Hex(fileBytes());
  }

  /** A lookup from token bytes to id; {@code unknownMarker} maps to [UNK]. */
  public ByteSliceMap index(String unknownMarker) {
    ByteSliceMap index = new ByteSliceMap(tokens.size() + 1);
    for (int id = 0; id < tokens.size(); id++) {
      index.put(tokens.get(id), id);
    }
    if (unknownMarker != null && !unknownMarker.isEmpty()) {
      index.put(unknownMarker, UNK_ID);
    }
    return index;
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
