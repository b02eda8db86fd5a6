package dev.polyak.data.manifest;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.polyak.PolyakVersion;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ShardResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code manifest.json}: fields in a fixed order, two-space indent, {@code \n} line ends, no
 * time stamps and no absolute paths, so that the same inputs and configuration give the same bytes
 * on any machine and runner.
 */
public final class Manifests {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Manifests() {}

  /** The common head of every manifest. */
  public static Map<String, Object> head(
      String format, List<FileDigest> inputs, Map<String, Object> config) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", format);
    m.put("format_version", 1);
    m.put("polyak_version", PolyakVersion.version());
    List<Map<String, Object>> files = new ArrayList<>();
    inputs.stream()
        .sorted(Comparator.comparing(FileDigest::getName))
        .forEach(
            d -> {
              Map<String, Object> f = new LinkedHashMap<>();
              f.put("name", d.getName());
              f.put("size_bytes", d.getSizeBytes());
              f.put("sha256", d.getSha256());
              files.add(f);
            });
    m.put("inputs", files);
    m.put("config", config);
    return m;
  }

  /** The shards of one split in order, as the manifest lists them. */
  public static List<Map<String, Object>> shards(String split, List<ShardResult> results) {
    List<Map<String, Object>> shards = new ArrayList<>();
    results.stream()
        .filter(r -> r.getSplit().equals(split))
        .sorted(Comparator.comparingInt(ShardResult::getShardIndex))
        .forEach(
            r -> {
              Map<String, Object> s = new LinkedHashMap<>();
              s.put("file", r.getFileName());
              s.put("rows", r.getRows());
              s.put("size_bytes", r.getSizeBytes());
              s.put("sha256", r.getSha256());
              shards.add(s);
            });
    return shards;
  }

  public static byte[] toBytes(Map<String, Object> manifest) {
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    try {
      byte[] body = JSON.writer(printer).writeValueAsBytes(manifest);
      byte[] withNewline = java.util.Arrays.copyOf(body, body.length + 1);
      withNewline[body.length] = '\n';
      return withNewline;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialise the manifest", e);
    }
  }

  public static void write(Path file, Map<String, Object> manifest) {
    try {
      Files.write(file, toBytes(manifest));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Reads a manifest back as nested maps and lists. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> read(Path file) {
    try {
      return JSON.readValue(file.toFile(), LinkedHashMap.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest " + file, e);
    }
  }
}
