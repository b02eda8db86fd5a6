package dev.polyak.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository's Markdown files read as GitHub renders them: the links outside code, the anchors
 * of the headings (GitHub's slugs) and the fenced code blocks.
 */
final class MarkdownDocs {
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*]\\(([^)\\s]+)\\)");
  private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");

  private MarkdownDocs() {}

  /** A link as written in {@code file}, on line {@code line} (1-based). */
  record Link(Path file, int line, String target) {}

  /**
   * A fenced code block of {@code file}: its info string ({@code yaml}, {@code bash}) and its text.
   */
  record Block(Path file, int line, String info, String text) {}

  /** Every Markdown file of the repository but build output, hidden folders and test sources. */
  static List<Path> all() {
    Path repository = DeployTree.repository();
    try (Stream<Path> walk = Files.walk(repository)) {
      return walk.filter(Files::isRegularFile)
          .filter(f -> f.getFileName().toString().endsWith(".md"))
          .filter(
              f -> {
                Path relative = repository.relativize(f);
                for (Path part : relative) {
                  String name = part.toString();
                  if (name.startsWith(".")
                      || name.equals("target")
                      || name.equals("src")
                      || name.equals("node_modules")) {
                    return false;
                  }
                }
                return true;
              })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The links of {@code file} outside fenced blocks and inline code. */
  static List<Link> links(Path file) {
    List<Link> links = new ArrayList<>();
    boolean fenced = false;
    List<String> lines = lines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (fenced) {
        continue;
      }
      Matcher m = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
      while (m.find()) {
        links.add(new Link(file, i + 1, m.group(1)));
      }
    }
    return links;
  }

  /** The fenced code blocks of {@code file}. */
  static List<Block> blocks(Path file) {
    List<Block> blocks = new ArrayList<>();
    List<String> lines = lines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).stripLeading();
      if (!line.startsWith("```")) {
        continue;
      }
      int start = i;
      StringBuilder text = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).stripLeading().startsWith("```"); i++) {
        text.append(lines.get(i)).append('\n');
      }
      blocks.add(new Block(file, start + 1, line.substring(3).trim(), text.toString()));
    }
    return blocks;
  }

  /**
   * The anchors GitHub gives the headings of {@code file}: the heading text without its Markdown,
   * lower-cased, every character but letters, digits, spaces, hyphens and underscores dropped,
   * spaces made hyphens; a repeated slug gets {@code -1}, {@code -2}, ...
   */
  static Set<String> anchors(Path file) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean fenced = false;
    for (String line : lines(file)) {
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (fenced || !line.matches("#{1,6} .*")) {
        continue;
      }
      String slug = slug(line.replaceFirst("^#+ ", ""));
      int n = seen.merge(slug, 1, Integer::sum);
      anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
    }
    return anchors;
  }

  static String slug(String heading) {
    String text =
        heading.strip().replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
    StringBuilder slug = new StringBuilder();
    text.codePoints()
        .forEach(
            c -> {
              if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                slug.appendCodePoint(c);
              } else if (c == ' ') {
                slug.append('-');
              }
            });
    return slug.toString();
  }
}
