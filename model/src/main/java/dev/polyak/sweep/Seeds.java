package dev.polyak.sweep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seed axis as written: a list {@code [0, 1, 5]}, an inclusive range {@code 0..99}, or one
 * number. Seeds are distinct and non-negative.
 */
final class Seeds {
  private static final Pattern RANGE = Pattern.compile("\\s*(-?\\d+)\\s*\\.\\.\\s*(-?\\d+)\\s*");

  private Seeds() {}

  static List<AxisValue> read(YamlNode node) {
    List<AxisValue> seeds = new ArrayList<>();
    if (node.isList()) {
      Set<Long> seen = new HashSet<>();
      for (YamlNode item : node.list()) {
        long seed = item.wholeNumber(0, Long.MAX_VALUE);
        if (!seen.add(seed)) {
          throw item.error("seed " + seed + " is listed twice");
        }
        seeds.add(new AxisValue(Long.toString(seed), seed, item));
      }
      if (seeds.isEmpty()) {
        throw node.error("an axis needs at least one value");
      }
      return seeds;
    }
    Matcher range = node.scalar() instanceof String text ? RANGE.matcher(text) : null;
    if (range == null || !range.matches()) {
      return List.of(new AxisValue(node.text(), node.wholeNumber(0, Long.MAX_VALUE), node));
    }
    long from = Long.parseLong(range.group(1));
    long to = Long.parseLong(range.group(2));
    if (from < 0 || to < 0) {
      throw node.error("seeds must be at least 0, got '" + node.text() + "'");
    }
    if (to < from) {
      throw node.error("'" + node.text() + "' is an empty range: it ends below its start");
    }
    for (long seed = from; seed <= to; seed++) {
      seeds.add(new AxisValue(Long.toString(seed), seed, node));
    }
    return seeds;
  }
}
