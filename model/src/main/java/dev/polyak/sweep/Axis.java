package dev.polyak.sweep;

import dev.polyak.train.ModelFamily;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A grid axis: the run-file key it sets and its values in the order written. Every value of an axis
 * has a label of its own (a cell's config would be ambiguous otherwise) that is one word without
 * {@code =}, since configs are {@code key=value} pairs joined by spaces.
 *
 * @param key the run-file key, or {@code method} / {@code ratio} (the pruning block's), or {@code
 *     seed}
 * @param values at least one
 */
record Axis(String key, List<AxisValue> values) {

  Axis {
    values = List.copyOf(values);
  }

  /** The axis {@code key} of the grid (or the top-level seeds), validated value by value. */
  static Axis read(String key, YamlNode node) {
    String name = key.equals("seeds") ? "seed" : key;
    List<AxisValue> values = new ArrayList<>();
    if (name.equals("seed")) {
      values.addAll(Seeds.read(node));
    } else {
      if (node.list().isEmpty()) {
        throw node.error("an axis needs at least one value");
      }
      for (YamlNode item : node.list()) {
        values.add(value(name, item));
      }
    }
    Map<String, YamlNode> seen = new HashMap<>();
    for (AxisValue value : values) {
      YamlNode first = seen.putIfAbsent(value.label(), value.node());
      if (first != null && first != value.node()) {
        throw value
            .node()
            .error(
                "'"
                    + value.label()
                    + "' is already a value of this axis (line "
                    + first.line()
                    + "): cells would share a config");
      }
      if (value.label().isEmpty() || !value.label().matches("[^\\s=]+")) {
        throw value
            .node()
            .error(
                "'"
                    + value.label()
                    + "' cannot label a cell: a label is one word without '='"
                    + " (configs read key=value key=value ...)");
      }
    }
    return new Axis(name, values);
  }

  private static AxisValue value(String key, YamlNode item) {
    switch (key) {
      case "method" -> {
        MethodChoice method = MethodChoice.read(item);
        return new AxisValue(method.label(), method, item);
      }
      case "ratio" -> {
        double ratio = item.number();
        if (!(ratio >= 0 && ratio < 1)) {
          throw item.error(item.text() + " is not a ratio in [0, 1)");
        }
        return new AxisValue(item.text(), ratio, item);
      }
      case "model" -> {
        try {
          ModelFamily.of(item.string());
        } catch (IllegalArgumentException e) {
          throw item.error(e.getMessage());
        }
        return new AxisValue(item.text(), item.text(), item);
      }
      default -> {
        if (item.plain() == null) {
          throw item.error("an axis value cannot be empty");
        }
        return new AxisValue(item.shown(), item.plain(), item);
      }
    }
  }
}
