package dev.polyak.data.read;

import dev.polyak.BadInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Typed access to the nested maps of a manifest, with errors that name the file and the field. */
final class ManifestFields {
  private final Path file;

  ManifestFields(Path file) {
    this.file = file;
  }

  Path file() {
    return file;
  }

  BadInputException bad(String problem) {
    return new BadInputException(file + ": " + problem);
  }

  Object require(Map<String, Object> map, String where, String key) {
    Object value = map.get(key);
    if (value == null) {
      throw bad("missing field " + where + key);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> map(Map<String, Object> map, String where, String key) {
    Object value = require(map, where, key);
    if (!(value instanceof Map)) {
      throw bad("field " + where + key + " is not an object");
    }
    return (Map<String, Object>) value;
  }

  List<?> list(Map<String, Object> map, String where, String key) {
    Object value = require(map, where, key);
    if (!(value instanceof List<?> list)) {
      throw bad("field " + where + key + " is not a list");
    }
    return list;
  }

  String string(Map<String, Object> map, String where, String key) {
    Object value = require(map, where, key);
    if (!(value instanceof String s)) {
      throw bad("field " + where + key + " is not a string");
    }
    return s;
  }

  long integer(Map<String, Object> map, String where, String key) {
    Object value = require(map, where, key);
    if (!(value instanceof Integer || value instanceof Long)) {
      throw bad("field " + where + key + " is not an integer: " + value);
    }
    return ((Number) value).longValue();
  }

  double[] numbers(Map<String, Object> map, String where, String key, int count) {
    List<?> list = list(map, where, key);
    if (list.size() != count) {
      throw bad("field " + where + key + " has " + list.size() + " values, expected " + count);
    }
    double[] values = new double[count];
    for (int i = 0; i < count; i++) {
      if (!(list.get(i) instanceof Number n)) {
        throw bad("field " + where + key + "[" + i + "] is not a number");
      }
      values[i] = n.doubleValue();
    }
    return values;
  }
}
