package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal safetensors reader written from the format description only, sharing no code with
 * {@link Safetensors}: it reads the length, parses the header with Jackson's tree model and slices
 * the buffer with a little-endian {@link ByteBuffer}. Tests compare what polyak writes against it.
 */
final class IndependentSafetensorsReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor: dtype spelling, shape, and its element values widened to double. */
  record Entry(String dtype, long[] shape, long begin, long end, double[] values) {}

  /** The parsed file: header length, header JSON, entries in header order. */
  record File(
      long headerLength,
      JsonNode header,
      Map<String, String> metadata,
      Map<String, Entry> tensors) {}

  private IndependentSafetensorsReader() {}

  static File read(Path path) throws IOException {
    byte[] bytes = Files.readAllBytes(path);
    ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = all.getLong(0);
    assertThat(n % 8).as("header length is a multiple of 8").isZero();
    String headerText = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    JsonNode header = JSON.readTree(headerText);
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, Entry> tensors = new LinkedHashMap<>();
    int dataStart = 8 + (int) n;
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      if (field.getKey().equals("__metadata__")) {
        value.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      String dtype = value.get("dtype").asText();
      long[] shape = new long[value.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = value.get("shape").get(i).asLong();
      }
      long begin = value.get("data_offsets").get(0).asLong();
      long end = value.get("data_offsets").get(1).asLong();
      ByteBuffer slice =
          ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin))
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      tensors.put(field.getKey(), new Entry(dtype, shape, begin, end, decode(dtype, slice)));
    }
    return new File(n, header, metadata, tensors);
  }

  private static double[] decode(String dtype, ByteBuffer slice) {
    int size =
        switch (dtype) {
          case "F32", "I32" -> 4;
          case "F64", "I64" -> 8;
          case "U8" -> 1;
          default -> throw new AssertionError("unexpected dtype " + dtype);
        };
    double[] values = new double[slice.remaining() / size];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          switch (dtype) {
            case "F32" -> slice.getFloat(i * 4);
            case "F64" -> slice.getDouble(i * 8);
            case "I32" -> slice.getInt(i * 4);
            case "I64" -> slice.getLong(i * 8);
            default -> slice.get(i) & 0xff;
          };
    }
    return values;
  }

  static double[] widen(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  static double[] widen(long[] values) {
    return Arrays.stream(values).asDoubleStream().toArray();
  }

  static double[] widen(int[] values) {
    return Arrays.stream(values).asDoubleStream().toArray();
  }
}
