package dev.polyak.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The JSON header of a safetensors file: written compact, {@code __metadata__} first and tensors in
 * the order given (so equal input gives equal bytes); read strictly, every field checked.
 */
final class SafetensorsHeader {
  static final String METADATA_KEY = "__metadata__";

  /** The reference implementation refuses headers above 100 MB; so do we. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final ObjectMapper MAPPER = createMapper();

  private SafetensorsHeader() {}

  /** The parsed header: metadata in key order and tensor entries in the order they appear. */
  record Parsed(SortedMap<String, String> metadata, List<TensorEntry> entries) {}

  /** The header JSON, unpadded; {@code __metadata__} is left out when {@code metadata} is empty. */
  static byte[] encode(Map<String, String> metadata, List<TensorEntry> entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator json = MAPPER.getFactory().createGenerator(out)) {
      json.writeStartObject();
      if (!metadata.isEmpty()) {
        json.writeObjectFieldStart(METADATA_KEY);
        for (Map.Entry<String, String> entry : new TreeMap<>(metadata).entrySet()) {
          json.writeStringField(entry.getKey(), entry.getValue());
        }
        json.writeEndObject();
      }
      for (TensorEntry entry : entries) {
        json.writeObjectFieldStart(entry.name());
        json.writeStringField("dtype", entry.dtype().safetensorsName());
        json.writeArrayFieldStart("shape");
        for (long dimension : entry.shape()) {
          json.writeNumber(dimension);
        }
        json.writeEndArray();
        json.writeArrayFieldStart("data_offsets");
        json.writeNumber(entry.begin());
        json.writeNumber(entry.end());
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a safetensors header", e);
    }
    return out.toByteArray();
  }

  /** Parses and checks the header bytes of {@code file} (padding included). */
  static Parsed parse(Path file, byte[] header) {
    if (header.length == 0 || header[0] != '{') {
      throw new CheckpointFormatException(file, "the header does not start with '{'");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(header);
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
      throw new CheckpointFormatException(
          file,
          "the header is not well-formed JSON"
              + (at >= 0 ? " near header byte " + at : "")
              + ": "
              + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse the header of " + file, e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointFormatException(file, "the header is not a JSON object");
    }
    SortedMap<String, String> metadata = new TreeMap<>();
    List<TensorEntry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals(METADATA_KEY)) {
        metadata.putAll(parseMetadata(file, field.getValue()));
      } else {
        entries.add(parseEntry(file, field.getKey(), field.getValue()));
      }
    }
    return new Parsed(metadata, entries);
  }

  private static SortedMap<String, String> parseMetadata(Path file, JsonNode node) {
    if (!node.isObject()) {
      throw new CheckpointFormatException(file, METADATA_KEY + " is not a JSON object");
    }
    SortedMap<String, String> metadata = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (!field.getValue().isTextual()) {
        throw new CheckpointFormatException(
            file, "metadata value '" + field.getKey() + "' is not a string");
      }
      metadata.put(field.getKey(), field.getValue().textValue());
    }
    return metadata;
  }

  private static TensorEntry parseEntry(Path file, String name, JsonNode node) {
    if (name.isEmpty()) {
      throw new CheckpointFormatException(file, "a tensor has an empty name");
    }
    if (!node.isObject()) {
      throw new CheckpointFormatException(file, "tensor '" + name + "' is not a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw new CheckpointFormatException(
            file, "tensor '" + name + "' has an unknown field '" + key + "'");
      }
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new CheckpointFormatException(file, "tensor '" + name + "' has no dtype string");
    }
    DType dtype =
        DType.fromSafetensorsName(dtypeNode.textValue())
            .orElseThrow(
                () ->
                    new CheckpointFormatException(
                        file,
                        "tensor '"
                            + name
                            + "' has dtype '"
                            + dtypeNode.textValue()
                            + "', not one of "
                            + Arrays.toString(DType.values())));
    long[] shape = longArray(file, name, "shape", node.get("shape"));
    long[] offsets = longArray(file, name, "data_offsets", node.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] > offsets[1]) {
      throw new CheckpointFormatException(
          file,
          "tensor '"
              + name
              + "' has data_offsets "
              + Arrays.toString(offsets)
              + ", not [begin, end] with begin <= end");
    }
    long expected;
    try {
      expected = Tensor.byteSize(dtype, shape);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(
          file, "tensor '" + name + "' has an unusable shape: " + e.getMessage(), e);
    }
    if (offsets[1] - offsets[0] != expected) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "tensor '%s' is %s %s = %d bytes but its data_offsets %s span %d bytes",
              name,
              dtype,
              Arrays.toString(shape),
              expected,
              Arrays.toString(offsets),
              offsets[1] - offsets[0]));
    }
    return new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
  }

  private static long[] longArray(Path file, String tensor, String field, JsonNode node) {
    if (node == null || !node.isArray()) {
      throw new CheckpointFormatException(
          file, "tensor '" + tensor + "' has no " + field + " array");
    }
    long[] values = new long[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode value = node.get(i);
      if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
        throw new CheckpointFormatException(
            file,
            "tensor '"
                + tensor
                + "' "
                + field
                + " holds "
                + value
                + ", not a non-negative integer");
      }
      values[i] = value.longValue();
    }
    return values;
  }

  private static ObjectMapper createMapper() {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder().maxStringLength((int) MAX_HEADER_BYTES).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    return mapper;
  }
}
