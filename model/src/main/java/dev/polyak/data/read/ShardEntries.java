package dev.polyak.data.read;

import dev.polyak.BadInputException;
import dev.polyak.io.Digests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Parses the {@code shards} list of a manifest split and checks shard files against it. */
final class ShardEntries {
  private ShardEntries() {}

  static List<ShardEntry> parse(ManifestFields fields, Map<String, Object> split, String where) {
    List<?> list = fields.list(split, where, "shards");
    List<ShardEntry> entries = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String at = where + "shards[" + i + "].";
      if (!(list.get(i) instanceof Map<?, ?> raw)) {
        throw fields.bad("field " + where + "shards[" + i + "] is not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> shard = (Map<String, Object>) raw;
      String file = plainName(fields, fields.string(shard, at, "file"), at + "file");
      String sha256 = fields.string(shard, at, "sha256");
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw fields.bad(
            "field " + at + "sha256 is not a lower-case hex SHA-256: '" + sha256 + "'");
      }
      entries.add(
          new ShardEntry(
              file,
              fields.integer(shard, at, "rows"),
              fields.integer(shard, at, "size_bytes"),
              sha256));
    }
    return entries;
  }

  /** A file name without any folder part, so a manifest cannot point outside its set. */
  static String plainName(ManifestFields fields, String name, String field) {
    if (name.isEmpty()
        || name.contains("/")
        || name.contains("\\")
        || name.equals(".")
        || name.equals("..")) {
      throw fields.bad("field " + field + " is not a plain file name: '" + name + "'");
    }
    return name;
  }

  static void checkSize(Path file, ShardEntry entry) {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(
          file + ": missing shard; the manifest lists it with " + entry.rows() + " rows");
    }
    long size = ShardSet.size(file);
    if (size != entry.sizeBytes()) {
      throw new BadInputException(
          file
              + ": "
              + size
              + " bytes, but the manifest says "
              + entry.sizeBytes()
              + "; the shard was changed or truncated after preprocessing");
    }
  }

  static void verify(Path file, ShardEntry entry) {
    checkSize(file, entry);
    String actual = Digests.sha256Hex(file);
    if (!actual.equals(entry.sha256())) {
      throw new BadInputException(
          file
              + ": sha256 "
              + actual
              + " does not match "
              + entry.sha256()
              + " in the manifest; the shard was changed after preprocessing");
    }
  }
}
