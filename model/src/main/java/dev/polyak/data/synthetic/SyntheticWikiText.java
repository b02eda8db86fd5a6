package dev.polyak.data.synthetic;

import dev.polyak.data.text.WikiTextLayout;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small deterministic corpus in the WikiText layout ({@code wiki.<split>.tokens}): articles with
 * {@code = Title = } headings, blank lines and sentences of words drawn from a Zipf distribution
 * over made-up words, with a sprinkle of {@code <unk>}. Same seed, same bytes, on any JVM.
 */
public final class SyntheticWikiText {
  private static final String[] SYLLABLES = {
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fe", "gi", "hu", "ja", "be"
  };
  private static final String[] FUNCTION_WORDS = {
    "the", "of", "and", "in", "to", "a", "was", "is", "for", "on"
  };

  private final List<String> words;
  private final double[] cumulative;

  /**
   * @param vocabularySize distinct words, at most 60,000 (made of 1-4 of 16 syllables)
   */
  public SyntheticWikiText(int vocabularySize) {
    if (vocabularySize < FUNCTION_WORDS.length || vocabularySize > 60_000) {
      throw new IllegalArgumentException(
          "vocabulary size must be in 10..60000, got " + vocabularySize);
    }
    SplittableRandom random = new SplittableRandom(7);
    List<String> w = new ArrayList<>(Arrays.asList(FUNCTION_WORDS));
    java.util.Set<String> seen = new java.util.HashSet<>(w);
    while (w.size() < vocabularySize) {
      StringBuilder b = new StringBuilder();
      int syllables = 1 + random.nextInt(4);
      for (int i = 0; i < syllables; i++) {
        b.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
      }
      if (seen.add(b.toString())) {
        w.add(b.toString());
      }
    }
    words = List.copyOf(w);
    cumulative = new double[words.size()];
    double total = 0;
    for (int i = 0; i < words.size(); i++) {
      total += 1.0 / Math.pow(i + 1, 1.1);
      cumulative[i] = total;
    }
    for (int i = 0; i < cumulative.length; i++) {
      cumulative[i] /= total;
    }
  }

  /**
   * Writes {@code wiki.train.tokens}, {@code wiki.valid.tokens} and {@code wiki.test.tokens} with
   * the given numbers of articles into {@code folder}.
   */
  public void write(
      Path folder, long seed, int trainArticles, int validArticles, int testArticles) {
    try {
      Files.createDirectories(folder);
      int[] articles = {trainArticles, validArticles, testArticles};
      for (int s = 0; s < 3; s++) {
        String split = WikiTextLayout.SPLITS.get(s);
        writeSplit(
            folder.resolve(WikiTextLayout.TOKENS.fileName(split)),
            new SplittableRandom(seed * 31 + s),
            articles[s]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the synthetic corpus into " + folder, e);
    }
  }

  private void writeSplit(Path file, SplittableRandom random, int articles) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int a = 0; a < articles; a++) {
        out.write(
            " \n = " + capitalize(word(random)) + " " + capitalize(word(random)) + " = \n \n");
        int paragraphs = 2 + random.nextInt(4);
        for (int p = 0; p < paragraphs; p++) {
          if (random.nextInt(3) == 0) {
            out.write(" = = " + capitalize(word(random)) + " = = \n \n");
          }
          StringBuilder line = new StringBuilder();
          int sentences = 1 + random.nextInt(5);
          for (int s = 0; s < sentences; s++) {
            int length = 5 + random.nextInt(20);
            for (int i = 0; i < length; i++) {
              line.append(' ').append(random.nextInt(40) == 0 ? "<unk>" : word(random));
              if (i > 2 && i < length - 1 && random.nextInt(12) == 0) {
                line.append(" ,");
              }
            }
            line.append(" .");
          }
          out.write(line.append(" \n").toString());
        }
      }
    }
  }

  private String word(SplittableRandom random) {
    int i = Arrays.binarySearch(cumulative, random.nextDouble());
    return words.get(Math.min(words.size() - 1, i < 0 ? -i - 1 : i));
  }

  private static String capitalize(String word) {
    return Character.toUpperCase(word.charAt(0)) + word.substring(1);
  }
}
