package dev.polyak.data.text;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The official WikiText file layouts: {@code wiki.<split>.tokens} (the {@code <unk>} release),
 * {@code wiki.<split>.raw} (the raw release) and {@code <split>.txt} (the names PyTorch's examples
 * use). Any subset of the splits train, valid, test may be present; two layouts in one folder are
 * refused as ambiguous.
 */
public enum WikiTextLayout {
  TOKENS("wiki.%s.tokens"),
  RAW("wiki.%s.raw"),
  PLAIN("%s.txt");

  /** Split names in the order they are processed and listed. */
  public static final List<String> SPLITS = List.of("train", "valid", "test");

  private final String pattern;

  WikiTextLayout(String pattern) {
    this.pattern = pattern;
  }

  public String fileName(String split) {
    return String.format(pattern, split);
  }

  /** The layout of a folder and its split files, in split order, keyed by split. */
  public record Found(WikiTextLayout layout, Map<String, Path> splits) {}

  /** The layout and split files found in {@code folder}. */
  public static Found detect(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new BadInputException("input folder " + folder + " does not exist or is not a folder");
    }
    List<String> names = listNames(folder);
    if (names.isEmpty()) {
      throw new BadInputException("input folder " + folder + " is empty");
    }
    Map<WikiTextLayout, Map<String, Path>> found = new LinkedHashMap<>();
    for (WikiTextLayout layout : values()) {
      Map<String, Path> splits = new LinkedHashMap<>();
      for (String split : SPLITS) {
        if (names.contains(layout.fileName(split))) {
          splits.put(split, folder.resolve(layout.fileName(split)));
        }
      }
      if (!splits.isEmpty()) {
        found.put(layout, splits);
      }
    }
    if (found.isEmpty()) {
      throw new BadInputException(
          "input folder "
              + folder
              + " holds no WikiText split in a known layout (expected wiki.{train,valid,test}.tokens,"
              + " wiki.{train,valid,test}.raw or {train,valid,test}.txt); found: "
              + String.join(", ", names.subList(0, Math.min(names.size(), 10))));
    }
    if (found.size() > 1) {
      throw new BadInputException(
          "input folder "
              + folder
              + " mixes WikiText layouts "
              + found.keySet()
              + "; keep one layout per folder");
    }
    Map.Entry<WikiTextLayout, Map<String, Path>> only = found.entrySet().iterator().next();
    return new Found(only.getKey(), only.getValue());
  }

  private static List<String> listNames(Path folder) {
    try (Stream<Path> list = Files.list(folder)) {
      List<String> names = new ArrayList<>();
      list.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
      names.sort(null);
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
