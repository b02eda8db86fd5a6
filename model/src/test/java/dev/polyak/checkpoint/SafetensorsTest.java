package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static Map<String, Tensor> sampleTensors() {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("z.bias", Tensor.ofFloats(new float[] {1.5f, -2.25f, 3e-8f}, 3));
    tensors.put("a.weight", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    tensors.put("m/doubles", Tensor.ofDoubles(new double[] {Math.PI, -0.0, 1e300}, 3, 1));
    tensors.put(
        "m/ints", Tensor.ofInts(new int[] {Integer.MIN_VALUE, 0, Integer.MAX_VALUE, 7}, 2, 2));
    tensors.put("m/longs", Tensor.ofLongs(new long[] {1L << 40, -5}, 2));
    tensors.put("m/mask", Tensor.ofBytes(new byte[] {0, 1, (byte) 255, 1}, 4));
    tensors.put("scalar", Tensor.ofLongs(new long[] {42}));
    tensors.put("empty", Tensor.ofFloats(new float[0], 0, 5));
    return tensors;
  }

  private static Map<String, String> sampleMetadata() {
    return Map.of("format", "pt", "note", "ünïcode \"quoted\" \n line", "b", "2");
  }

  @Test
  void anIndependentReaderSeesTheTensorsTheMetadataAndTheLayout() throws IOException {
    Path file = dir.resolve("model.safetensors");

    Safetensors.write(file, sampleTensors(), sampleMetadata());

    IndependentSafetensorsReader.File parsed = IndependentSafetensorsReader.read(file);
    assertThat(parsed.metadata()).isEqualTo(sampleMetadata());
    assertThat(parsed.tensors().keySet())
        .containsExactly(
            "a.weight", "empty", "m/doubles", "m/ints", "m/longs", "m/mask", "scalar", "z.bias");
    long expectedBegin = 0;
    for (IndependentSafetensorsReader.Entry entry : parsed.tensors().values()) {
      assertThat(entry.begin()).as("contiguous in name order").isEqualTo(expectedBegin);
      expectedBegin = entry.end();
    }
    assertThat(8 + parsed.headerLength() + expectedBegin).isEqualTo(Files.size(file));
    assertThat(parsed.tensors().get("a.weight").dtype()).isEqualTo("F32");
    assertThat(parsed.tensors().get("a.weight").shape()).containsExactly(2, 3);
    assertThat(parsed.tensors().get("a.weight").values()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(parsed.tensors().get("z.bias").values())
        .containsExactly(IndependentSafetensorsReader.widen(new float[] {1.5f, -2.25f, 3e-8f}));
    assertThat(parsed.tensors().get("m/doubles").dtype()).isEqualTo("F64");
    assertThat(parsed.tensors().get("m/doubles").values()).containsExactly(Math.PI, -0.0, 1e300);
    assertThat(parsed.tensors().get("m/ints").dtype()).isEqualTo("I32");
    assertThat(parsed.tensors().get("m/ints").values())
        .containsExactly(Integer.MIN_VALUE, 0, Integer.MAX_VALUE, 7);
    assertThat(parsed.tensors().get("m/longs").dtype()).isEqualTo("I64");
    assertThat(parsed.tensors().get("m/longs").values()).containsExactly(1L << 40, -5);
    assertThat(parsed.tensors().get("m/mask").dtype()).isEqualTo("U8");
    assertThat(parsed.tensors().get("m/mask").values()).containsExactly(0, 1, 255, 1);
    assertThat(parsed.tensors().get("scalar").shape()).isEmpty();
    assertThat(parsed.tensors().get("scalar").values()).containsExactly(42);
    assertThat(parsed.tensors().get("empty").shape()).containsExactly(0, 5);
    assertThat(parsed.tensors().get("empty").values()).isEmpty();
  }

  @Test
  void theHeaderIsCompactJsonPaddedWithSpacesMetadataFirst() throws IOException {
    Path file = dir.resolve("model.safetensors");

    Safetensors.write(file, Map.of("w", Tensor.ofFloats(new float[] {1}, 1)), Map.of("k", "v"));

    byte[] bytes = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    String json =
        "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    assertThat(header.stripTrailing()).isEqualTo(json);
    assertThat(header).hasSize((json.length() + 7) / 8 * 8);
    assertThat(header.substring(json.length())).isBlank();
  }

  @Test
  void readingGivesBackWhatWasWritten() {
    Path file = dir.resolve("model.safetensors");

    Safetensors.write(file, sampleTensors(), sampleMetadata());
    SafetensorsContent content = Safetensors.read(file);

    assertThat(content.tensors()).isEqualTo(sampleTensors());
    assertThat(List.copyOf(content.tensors().keySet())).isSorted();
    assertThat(content.metadata()).isEqualTo(sampleMetadata());
  }

  @Test
  void theSameInputGivesTheSameBytesWhateverTheMapOrder() throws IOException {
    Map<String, Tensor> reversed = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(sampleTensors().keySet());
    for (int i = names.size() - 1; i >= 0; i--) {
      reversed.put(names.get(i), sampleTensors().get(names.get(i)));
    }

    Safetensors.write(dir.resolve("a.safetensors"), sampleTensors(), sampleMetadata());
    Safetensors.write(
        dir.resolve("b.safetensors"), reversed, new LinkedHashMap<>(sampleMetadata()));

    assertThat(Files.readAllBytes(dir.resolve("a.safetensors")))
        .isEqualTo(Files.readAllBytes(dir.resolve("b.safetensors")));
  }

  @Test
  void numpyReadsTheSameValues() throws Exception {
    assumeThat(dev.polyak.testing.Python.hasNumpy()).as("python3 with numpy is installed").isTrue();
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, sampleTensors(), sampleMetadata());
    Path script = dir.resolve("read.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import json, struct, sys",
            "import numpy as np",
            "b = open(sys.argv[1], 'rb').read()",
            "n = struct.unpack('<Q', b[:8])[0]",
            "h = json.loads(b[8:8 + n].decode('utf-8'))",
            "types = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'I64': '<i8', 'U8': 'u1'}",
            "out = {'__metadata__': h.pop('__metadata__', {})}",
            "for k, v in h.items():",
            "    s, e = v['data_offsets']",
            "    a = np.frombuffer(b[8 + n + s:8 + n + e], dtype=types[v['dtype']]).reshape(v['shape'])",
            "    out[k] = {'shape': list(a.shape), 'values': a.ravel().tolist()}",
            "print(json.dumps(out))",
            ""));

    Process process =
        new ProcessBuilder("python3", script.toString(), file.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();

    JsonNode parsed = new ObjectMapper().readTree(output);
    assertThat(parsed.get("__metadata__").get("note").asText())
        .isEqualTo(sampleMetadata().get("note"));
    for (Map.Entry<String, Tensor> entry : sampleTensors().entrySet()) {
      JsonNode tensor = parsed.get(entry.getKey());
      assertThat(tensor).as(entry.getKey()).isNotNull();
      long[] shape = new long[tensor.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = tensor.get("shape").get(i).asLong();
      }
      assertThat(shape).as(entry.getKey()).isEqualTo(entry.getValue().shape());
      double[] values = new double[tensor.get("values").size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.get("values").get(i).asDouble();
      }
      assertThat(values).as(entry.getKey()).containsExactly(expectedValues(entry.getValue()));
    }
  }

  private static double[] expectedValues(Tensor tensor) {
    return switch (tensor.dtype()) {
      case F32 -> IndependentSafetensorsReader.widen(tensor.floats());
      case F64 -> tensor.doubles();
      case I32 -> IndependentSafetensorsReader.widen(tensor.ints());
      case I64 -> IndependentSafetensorsReader.widen(tensor.longs());
      case U8 -> {
        byte[] bytes = tensor.bytes();
        double[] out = new double[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
          out[i] = bytes[i] & 0xff;
        }
        yield out;
      }
    };
  }

  @Test
  void everyTruncationIsReportedWithTheFileName() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, sampleTensors(), sampleMetadata());
    byte[] whole = Files.readAllBytes(file);
    Path truncated = dir.resolve("truncated.safetensors");

    for (int length = 0; length < whole.length; length++) {
      Files.write(truncated, Arrays.copyOf(whole, length));
      assertThatThrownBy(() -> Safetensors.read(truncated))
          .as("truncated to %d of %d bytes", length, whole.length)
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining(truncated.toString());
    }
  }

  @Test
  void aTruncatedDataBufferSaysSo() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, sampleTensors(), sampleMetadata());
    byte[] whole = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(whole, whole.length - 3));

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void aHeaderLengthBeyondTheFileIsReported() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, sampleTensors(), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    bytes[7] ^= 0x01; // the most significant byte of the length

    Files.write(file, bytes);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("header length");
  }

  @Test
  void aFlippedStructuralHeaderByteIsReported() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, sampleTensors(), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    int colon = indexOf(bytes, (byte) ':');
    bytes[colon] = ';';

    Files.write(file, bytes);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not well-formed JSON");
  }

  @Test
  void aFlippedPaddingByteIsReported() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, Map.of("w", Tensor.ofFloats(new float[] {1}, 1)), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertThat(bytes[8 + (int) n - 1]).as("the header ends with padding").isEqualTo((byte) ' ');
    bytes[8 + (int) n - 1] = 'x';

    Files.write(file, bytes);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("not well-formed JSON");
  }

  @Test
  void offsetsThatDoNotMatchTheShapeAreReported() throws IOException {
    Path file = craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(
            "tensor 'w' is F32 [2, 3] = 24 bytes but its data_offsets [0, 20] span 20 bytes");
  }

  @Test
  void aGapBetweenTensorsIsReported() throws IOException {
    Path file =
        craft(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[6,10]}}",
            10);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(
            "tensor 'b' starts at data byte 6 but the previous tensor 'a' ends at 4");
  }

  @Test
  void overlappingTensorsAreReported() throws IOException {
    Path file =
        craft(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}",
            6);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("offsets must be contiguous");
  }

  @Test
  void offsetsBeyondTheBufferAreReported() throws IOException {
    Path file = craft("{\"a\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[0,32]}}", 16);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("the header describes 32 data bytes but only 16 follow it");
  }

  @Test
  void bytesNoTensorCoversAreReported() throws IOException {
    Path file = craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 9);

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("trailing bytes");
  }

  @Test
  void malformedEntriesAreReported() throws IOException {
    assertThatThrownBy(
            () ->
                Safetensors.read(
                    craft("{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2)))
        .hasMessageContaining("tensor 'a' has dtype 'BF16'");
    assertThatThrownBy(
            () ->
                Safetensors.read(
                    craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1)))
        .hasMessageContaining("not a non-negative integer");
    assertThatThrownBy(() -> Safetensors.read(craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1)))
        .hasMessageContaining("tensor 'a' has no data_offsets array");
    assertThatThrownBy(
            () ->
                Safetensors.read(
                    craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,0]}}", 1)))
        .hasMessageContaining("begin <= end");
    assertThatThrownBy(() -> Safetensors.read(craft("{\"__metadata__\":{\"k\":1}}", 0)))
        .hasMessageContaining("metadata value 'k' is not a string");
    assertThatThrownBy(
            () ->
                Safetensors.read(
                    craft(
                        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                            + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                        2)))
        .hasMessageContaining("Duplicate field 'a'");
  }

  @Test
  void aTinyFileIsReported() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    Files.write(file, new byte[] {1, 2, 3});

    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("too short for the 8-byte header length");
  }

  @Test
  void tensorsCannotBeNamedLikeTheMetadata() {
    Map<String, Tensor> tensors = Map.of("__metadata__", Tensor.ofFloats(new float[] {1}, 1));

    assertThatThrownBy(() -> Safetensors.write(dir.resolve("x.safetensors"), tensors, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(dir).isEmptyDirectory();
  }

  private Path craft(String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer buffer = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      buffer.put((byte) ' ');
    }
    Path file = Files.createTempFile(dir, "crafted-", ".safetensors");
    Files.write(file, buffer.array());
    return file;
  }

  private static int indexOf(byte[] bytes, byte wanted) {
    for (int i = 8; i < bytes.length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    throw new AssertionError("no " + (char) wanted);
  }
}
