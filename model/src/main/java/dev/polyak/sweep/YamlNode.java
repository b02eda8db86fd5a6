package dev.polyak.sweep;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A YAML value with where it was written, so that every error can say where to look: the line (and
 * column) of its key, or of the item itself inside a list, and its path from the root, e.g. {@code
 * grid.method[2]}. Scalars keep their text as written ({@code 1e-4}, not {@code 1.0E-4}), which is
 * what a cell's labels show.
 *
 * @param path dotted keys and list indices from the root ("" for the root)
 * @param line 1-based line of the key (or list item)
 * @param column 1-based column of the key (or list item)
 * @param scalar the value of a scalar: text, a whole number, a double, a boolean, or null
 * @param text a scalar's text as written ("" for null, lists and maps)
 * @param items a list's items (null unless a list)
 * @param fields a map's entries in the order written (null unless a map)
 */
record YamlNode(
    String path,
    int line,
    int column,
    Object scalar,
    String text,
    List<YamlNode> items,
    Map<String, YamlNode> fields) {

  private static final YAMLFactory YAML = new YAMLFactory();

  /** The tree of a YAML text; an empty text is an empty map. */
  static YamlNode read(String yaml) {
    try (JsonParser parser = YAML.createParser(yaml)) {
      if (parser.nextToken() == null) {
        return new YamlNode("", 1, 1, null, "", null, Map.of());
      }
      return read(parser, "", 1, 1);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new IllegalArgumentException(
          (at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ")
              + "not valid YAML: "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static YamlNode read(JsonParser parser, String path, int line, int column)
      throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT) {
      Map<String, YamlNode> fields = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        JsonLocation at = parser.currentTokenLocation();
        String keyPath = path.isEmpty() ? key : path + "." + key;
        parser.nextToken();
        YamlNode first =
            fields.putIfAbsent(key, read(parser, keyPath, at.getLineNr(), at.getColumnNr()));
        if (first != null) {
          throw new IllegalArgumentException(
              "line "
                  + at.getLineNr()
                  + ": "
                  + keyPath
                  + ": duplicate key (first on line "
                  + first.line()
                  + ")");
        }
      }
      return new YamlNode(path, line, column, null, "", null, Collections.unmodifiableMap(fields));
    }
    if (token == JsonToken.START_ARRAY) {
      List<YamlNode> items = new ArrayList<>();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        JsonLocation at = parser.currentTokenLocation();
        items.add(read(parser, path + "[" + items.size() + "]", at.getLineNr(), at.getColumnNr()));
      }
      return new YamlNode(path, line, column, null, "", List.copyOf(items), null);
    }
    Object scalar =
        switch (token) {
          case VALUE_NUMBER_INT -> parser.getNumberValue();
          case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
          case VALUE_TRUE -> Boolean.TRUE;
          case VALUE_FALSE -> Boolean.FALSE;
          case VALUE_NULL -> null;
          default -> parser.getText();
        };
    return new YamlNode(
        path, line, column, scalar, scalar == null ? "" : parser.getText(), null, null);
  }

  boolean isList() {
    return items != null;
  }

  boolean isMap() {
    return fields != null;
  }

  /** The entry {@code key} of this map, or null. */
  YamlNode get(String key) {
    return map().get(key);
  }

  Map<String, YamlNode> map() {
    if (fields == null) {
      throw error("must be a map of keys, got '" + shown() + "'");
    }
    return fields;
  }

  List<YamlNode> list() {
    if (items == null) {
      throw error("must be a list, e.g. [a, b], got '" + shown() + "'");
    }
    return items;
  }

  /** Refuses keys outside {@code allowed}, naming the key, where it is, and what is allowed. */
  void allowOnly(List<String> allowed) {
    for (YamlNode field : map().values()) {
      String key = path.isEmpty() ? field.path() : field.path().substring(path.length() + 1);
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            "line "
                + field.line()
                + ", column "
                + field.column()
                + ": unknown key '"
                + key
                + "'"
                + (path.isEmpty() ? "" : " in " + path)
                + "; allowed keys: "
                + String.join(", ", allowed));
      }
    }
  }

  /** A scalar's text (numbers and booleans as written); lists, maps and null are errors. */
  String string() {
    if (scalar == null) {
      throw error("must be text, got '" + shown() + "'");
    }
    return text;
  }

  /** A whole number in {@code [min, max]}. */
  long wholeNumber(long min, long max) {
    boolean whole =
        scalar instanceof Integer
            || scalar instanceof Long
            || scalar instanceof BigInteger b && b.bitLength() < 64;
    long value = whole ? ((Number) scalar).longValue() : 0;
    if (!whole || value < min || value > max) {
      throw error(
          "must be a whole number"
              + (max == Long.MAX_VALUE ? " of at least " + min : " in [" + min + ", " + max + "]")
              + ", got '"
              + shown()
              + "'");
    }
    return value;
  }

  /** true or false. */
  boolean flag() {
    if (!(scalar instanceof Boolean b)) {
      throw error("must be true or false, got '" + shown() + "'");
    }
    return b;
  }

  double number() {
    if (!(scalar instanceof Number n)) {
      throw error("must be a number, got '" + shown() + "'");
    }
    return n.doubleValue();
  }

  /** The value as Java maps, lists and scalars, for writing it back as YAML. */
  Object plain() {
    if (items != null) {
      return items.stream().map(YamlNode::plain).collect(Collectors.toList());
    }
    if (fields != null) {
      Map<String, Object> plain = new LinkedHashMap<>();
      fields.forEach((key, value) -> plain.put(key, value.plain()));
      return plain;
    }
    return scalar;
  }

  /** The value as one compact word: {@code 1e-4}, {@code {hidden:64,layers:2}}, {@code [a,b]}. */
  String shown() {
    if (items != null) {
      return items.stream().map(YamlNode::shown).collect(Collectors.joining(",", "[", "]"));
    }
    if (fields != null) {
      return fields.entrySet().stream()
          .map(e -> e.getKey() + ":" + e.getValue().shown())
          .collect(Collectors.joining(",", "{", "}"));
    }
    return text;
  }

  /** An error at this node: {@code line 7: grid.ratio[1]: <message>}. */
  IllegalArgumentException error(String message) {
    return new IllegalArgumentException(
        "line " + line + ": " + (path.isEmpty() ? "" : path + ": ") + message);
  }
}
