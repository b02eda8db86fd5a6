package dev.polyak.checkpoint;

import dev.polyak.io.AtomicFiles;
import dev.polyak.io.Digests;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian length N, N bytes of UTF-8 JSON header padded with spaces to a multiple of 8, then
 * the tensors' bytes back to back.
 *
 * <p>Writing is deterministic: tensors are laid out in name order, header keys are sorted, nothing
 * depends on time. The file appears atomically (temporary file, fsync, rename). Reading checks
 * every length and offset and fails with a {@link CheckpointFormatException} naming the file.
 */
public final class Safetensors {
  static final int LENGTH_BYTES = 8;
  private static final int ALIGNMENT = 8;

  private Safetensors() {}

  /** A file as read: header fields, tensors, and the SHA-256 of the data buffer as stored. */
  record RawFile(
      SortedMap<String, String> metadata,
      List<TensorEntry> entries,
      SortedMap<String, Tensor> tensors,
      String dataSha256) {}

  /**
   * Writes {@code tensors} and {@code metadata} to {@code file}, replacing it atomically.
   *
   * @throws IllegalArgumentException if a tensor name is empty or {@code __metadata__}
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    write(file, "." + file.getFileName() + "-", new TreeMap<>(tensors), metadata);
  }

  /** Reads and checks {@code file}. */
  public static SafetensorsContent read(Path file) {
    RawFile raw = readRaw(file);
    return new SafetensorsContent(raw.tensors(), raw.metadata());
  }

  static void write(
      Path file,
      String tempPrefix,
      SortedMap<String, Tensor> tensors,
      Map<String, String> metadata) {
    byte[] header = paddedHeader(metadata, layout(tensors));
    AtomicFiles.write(
        file,
        tempPrefix,
        channel -> {
          ByteBuffer length = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
          length.putLong(0, header.length);
          writeFully(channel, length);
          writeFully(channel, ByteBuffer.wrap(header));
          for (Tensor tensor : tensors.values()) {
            writeFully(channel, tensor.rawBuffer());
          }
        });
  }

  /** Where each tensor goes: contiguous, in name order, offsets from the start of the buffer. */
  static List<TensorEntry> layout(SortedMap<String, Tensor> tensors) {
    List<TensorEntry> entries = new ArrayList<>(tensors.size());
    long offset = 0;
    for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
      String name = entry.getKey();
      if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
        throw new IllegalArgumentException("'" + name + "' cannot name a tensor");
      }
      Tensor tensor = entry.getValue();
      long end = offset + tensor.byteSize();
      entries.add(new TensorEntry(name, tensor.dtype(), tensor.shape(), offset, end));
      offset = end;
    }
    return entries;
  }

  /** The SHA-256 of the data buffer {@link #write} produces for {@code tensors}. */
  static String dataSha256(SortedMap<String, Tensor> tensors) {
    MessageDigest digest = Digests.sha256();
    for (Tensor tensor : tensors.values()) {
      digest.update(tensor.rawBuffer());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static byte[] paddedHeader(Map<String, String> metadata, List<TensorEntry> entries) {
    byte[] json = SafetensorsHeader.encode(metadata, entries);
    int padded = (json.length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    byte[] header = Arrays.copyOf(json, padded);
    Arrays.fill(header, json.length, padded, (byte) ' ');
    return header;
  }

  static RawFile readRaw(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < LENGTH_BYTES) {
        throw new CheckpointFormatException(
            file, "the file is " + fileSize + " bytes, too short for the 8-byte header length");
      }
      ByteBuffer lengthBuffer = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBuffer, 0);
      long headerLength = lengthBuffer.getLong(0);
      if (headerLength < 0 || headerLength > fileSize - LENGTH_BYTES) {
        throw new CheckpointFormatException(
            file,
            "the header length "
                + Long.toUnsignedString(headerLength)
                + " exceeds the "
                + (fileSize - LENGTH_BYTES)
                + " bytes after it (truncated or corrupt file)");
      }
      if (headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
        throw new CheckpointFormatException(
            file, "the header length " + headerLength + " is above the 100 MB limit");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      readFully(channel, header, LENGTH_BYTES);
      SafetensorsHeader.Parsed parsed = SafetensorsHeader.parse(file, header.array());
      long dataStart = LENGTH_BYTES + headerLength;
      List<TensorEntry> byOffset = checkOffsets(file, parsed.entries(), fileSize - dataStart);
      MessageDigest digest = Digests.sha256();
      SortedMap<String, Tensor> tensors = new TreeMap<>();
      for (TensorEntry entry : byOffset) {
        ByteBuffer data = ByteBuffer.allocate((int) entry.byteSize());
        readFully(channel, data, dataStart + entry.begin());
        digest.update(data.array());
        tensors.put(entry.name(), Tensor.wrap(entry.dtype(), entry.shape(), data.array()));
      }
      return new RawFile(
          parsed.metadata(), parsed.entries(), tensors, HexFormat.of().formatHex(digest.digest()));
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("no such file " + file, e);
    } catch (EOFException e) {
      throw new CheckpointFormatException(file, "the file ended while reading it (truncated)", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Checks that the tensors tile the data buffer exactly; returns them in offset order. */
  private static List<TensorEntry> checkOffsets(
      Path file, List<TensorEntry> entries, long bufferBytes) {
    List<TensorEntry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
    long expectedBegin = 0;
    String previous = null;
    for (TensorEntry entry : byOffset) {
      if (entry.begin() != expectedBegin) {
        throw new CheckpointFormatException(
            file,
            String.format(
                "tensor '%s' starts at data byte %d but %s; offsets must be contiguous",
                entry.name(),
                entry.begin(),
                previous == null
                    ? "the first tensor must start at 0"
                    : "the previous tensor '" + previous + "' ends at " + expectedBegin));
      }
      expectedBegin = entry.end();
      previous = entry.name();
    }
    if (expectedBegin > bufferBytes) {
      throw new CheckpointFormatException(
          file,
          "the header describes "
              + expectedBegin
              + " data bytes but only "
              + bufferBytes
              + " follow it (truncated file)");
    }
    if (expectedBegin < bufferBytes) {
      throw new CheckpointFormatException(
          file,
          "the tensors cover "
              + expectedBegin
              + " data bytes but "
              + bufferBytes
              + " follow the header (trailing bytes)");
    }
    return byOffset;
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new EOFException();
      }
      at += n;
    }
  }
}
