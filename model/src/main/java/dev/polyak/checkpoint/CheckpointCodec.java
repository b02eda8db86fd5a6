package dev.polyak.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.io.Digests;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The mapping between a {@link Checkpoint} and the tensors and metadata of its safetensors file.
 *
 * <p>Tensors are named {@code weights/<name>}, {@code optimizer/<name>}, {@code masks/<name>} and
 * {@code pruner/<name>}. The metadata holds the scalar fields under {@code polyak.*} keys, {@code
 * polyak.data_sha256} (the SHA-256 of the data buffer) and {@code polyak.header_sha256}: the
 * SHA-256 of the header JSON without that one key (metadata and tensor entries, sorted, compact),
 * so that a changed byte anywhere in the file is detected.
 */
final class CheckpointCodec {
  static final String FORMAT = "polyak.checkpoint/1";
  static final String KEY_FORMAT = "polyak.format";
  static final String KEY_STEP = "polyak.step";
  static final String KEY_PRUNING = "polyak.pruning";
  static final String KEY_VERSION = "polyak.version";
  static final String KEY_RUN_SPEC = "polyak.run_spec";
  static final String KEY_METRICS = "polyak.metrics";
  static final String KEY_RANDOM_CURSORS = "polyak.random_cursors";
  static final String KEY_DATA_SHA256 = "polyak.data_sha256";
  static final String KEY_HEADER_SHA256 = "polyak.header_sha256";

  static final String WEIGHTS = "weights/";
  static final String OPTIMIZER = "optimizer/";
  static final String MASKS = "masks/";
  static final String PRUNER = "pruner/";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private CheckpointCodec() {}

  /**
   * Writes {@code checkpoint} to {@code file} through a temporary file {@code <tempPrefix>*.tmp}.
   */
  static void write(Path file, String tempPrefix, Checkpoint checkpoint) {
    SortedMap<String, Tensor> tensors = new TreeMap<>();
    prefix(tensors, WEIGHTS, checkpoint.weights());
    prefix(tensors, OPTIMIZER, checkpoint.optimizerState());
    prefix(tensors, MASKS, checkpoint.masks());
    prefix(tensors, PRUNER, checkpoint.prunerState());
    SortedMap<String, String> metadata = new TreeMap<>();
    metadata.put(KEY_FORMAT, FORMAT);
    metadata.put(KEY_STEP, Long.toString(checkpoint.step()));
    metadata.put(KEY_PRUNING, Boolean.toString(checkpoint.pruning()));
    metadata.put(KEY_VERSION, checkpoint.polyakVersion());
    metadata.put(KEY_RUN_SPEC, checkpoint.runSpecJson());
    metadata.put(KEY_METRICS, checkpoint.metricsJson());
    metadata.put(KEY_RANDOM_CURSORS, cursorsJson(checkpoint.randomCursors()));
    metadata.put(KEY_DATA_SHA256, Safetensors.dataSha256(tensors));
    metadata.put(KEY_HEADER_SHA256, headerSha256(metadata, Safetensors.layout(tensors)));
    Safetensors.write(file, tempPrefix, tensors, metadata);
  }

  /** Reads {@code file} and checks both checksums. */
  static Checkpoint read(Path file) {
    Safetensors.RawFile raw = Safetensors.readRaw(file);
    SortedMap<String, String> metadata = raw.metadata();
    String format = metadata.get(KEY_FORMAT);
    if (!FORMAT.equals(format)) {
      throw new CheckpointFormatException(
          file, KEY_FORMAT + " is " + quote(format) + ", not \"" + FORMAT + "\"");
    }
    String recordedHeader = require(file, metadata, KEY_HEADER_SHA256);
    String actualHeader = headerSha256(metadata, raw.entries());
    if (!recordedHeader.equals(actualHeader)) {
      throw new CheckpointFormatException(
          file,
          "header checksum mismatch: the header hashes to "
              + actualHeader
              + " but "
              + KEY_HEADER_SHA256
              + " is "
              + recordedHeader
              + " (a header byte is corrupt)");
    }
    String recordedData = require(file, metadata, KEY_DATA_SHA256);
    if (!recordedData.equals(raw.dataSha256())) {
      throw new CheckpointFormatException(
          file,
          "data checksum mismatch: the tensor bytes hash to "
              + raw.dataSha256()
              + " but "
              + KEY_DATA_SHA256
              + " is "
              + recordedData
              + " (a data byte is corrupt)");
    }
    SortedMap<String, Tensor> weights = new TreeMap<>();
    SortedMap<String, Tensor> optimizer = new TreeMap<>();
    SortedMap<String, Tensor> masks = new TreeMap<>();
    SortedMap<String, Tensor> pruner = new TreeMap<>();
    for (Map.Entry<String, Tensor> entry : raw.tensors().entrySet()) {
      String name = entry.getKey();
      if (name.startsWith(WEIGHTS)) {
        weights.put(name.substring(WEIGHTS.length()), entry.getValue());
      } else if (name.startsWith(OPTIMIZER)) {
        optimizer.put(name.substring(OPTIMIZER.length()), entry.getValue());
      } else if (name.startsWith(MASKS)) {
        masks.put(name.substring(MASKS.length()), entry.getValue());
      } else if (name.startsWith(PRUNER)) {
        pruner.put(name.substring(PRUNER.length()), entry.getValue());
      } else {
        throw new CheckpointFormatException(
            file, "tensor '" + name + "' is not under weights/, optimizer/, masks/ or pruner/");
      }
    }
    try {
      return new Checkpoint(
          parseStep(file, require(file, metadata, KEY_STEP)),
          weights,
          optimizer,
          masks,
          parseCursors(file, require(file, metadata, KEY_RANDOM_CURSORS)),
          require(file, metadata, KEY_RUN_SPEC),
          require(file, metadata, KEY_METRICS),
          parsePruning(file, require(file, metadata, KEY_PRUNING)),
          require(file, metadata, KEY_VERSION),
          pruner);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage(), e);
    }
  }

  /**
   * SHA-256 of the compact header JSON of {@code metadata} (minus the header checksum) and entries.
   */
  private static String headerSha256(Map<String, String> metadata, Iterable<TensorEntry> entries) {
    SortedMap<String, String> covered = new TreeMap<>(metadata);
    covered.remove(KEY_HEADER_SHA256);
    SortedMap<String, TensorEntry> sorted = new TreeMap<>();
    for (TensorEntry entry : entries) {
      sorted.put(entry.name(), entry);
    }
    return Digests.sha256Hex(SafetensorsHeader.encode(covered, sorted.values().stream().toList()));
  }

  private static void prefix(
      SortedMap<String, Tensor> into, String prefix, Map<String, Tensor> tensors) {
    for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
      into.put(prefix + entry.getKey(), entry.getValue());
    }
  }

  private static String cursorsJson(Map<String, Long> cursors) {
    try {
      return MAPPER.writeValueAsString(new TreeMap<>(cursors));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode random cursors " + cursors, e);
    }
  }

  private static SortedMap<String, Long> parseCursors(Path file, String json) {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(
          file, KEY_RANDOM_CURSORS + " is not well-formed JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new CheckpointFormatException(file, KEY_RANDOM_CURSORS + " is not a JSON object");
    }
    SortedMap<String, Long> cursors = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      if (!value.isIntegralNumber() || !value.canConvertToLong()) {
        throw new CheckpointFormatException(
            file,
            KEY_RANDOM_CURSORS + " '" + field.getKey() + "' is " + value + ", not an integer");
      }
      cursors.put(field.getKey(), value.longValue());
    }
    return cursors;
  }

  private static long parseStep(Path file, String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new CheckpointFormatException(
          file, KEY_STEP + " is " + quote(text) + ", not an integer");
    }
  }

  private static boolean parsePruning(Path file, String text) {
    if (!text.equals("true") && !text.equals("false")) {
      throw new CheckpointFormatException(
          file, KEY_PRUNING + " is " + quote(text) + ", not true or false");
    }
    return Boolean.parseBoolean(text);
  }

  private static String require(Path file, Map<String, String> metadata, String key) {
    String value = metadata.get(key);
    if (value == null) {
      throw new CheckpointFormatException(file, "the metadata has no " + key);
    }
    return value;
  }

  private static String quote(String text) {
    return text == null ? "missing" : "\"" + text + "\"";
  }
}
