package dev.polyak.data.text;

import dev.polyak.BadInputException;
import dev.polyak.schemas.TextChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Cuts split files into line-aligned byte ranges, and reads and validates them. */
public final class TextChunks {
  /** 4 MiB: large enough to amortise a read, small enough to spread 500 MB over many workers. */
  public static final int DEFAULT_CHUNK_BYTES = 4 << 20;

  private TextChunks() {}

  /** Line-aligned chunks of about {@code targetBytes} tiling {@code file} in order. */
  public static List<TextChunk> plan(String split, Path file, int targetBytes) {
    List<TextChunk> chunks = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      long start = 0;
      ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
      while (start < size) {
        long end = start + targetBytes;
        if (end >= size) {
          end = size;
        } else {
          end = nextLineStart(channel, end, size, buffer);
        }
        chunks.add(
            new TextChunk(split, file.toAbsolutePath().toString(), chunks.size(), start, end));
        start = end;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return chunks;
  }

  /** The chunk's bytes, exactly {@code end - start} of them. */
  public static byte[] read(TextChunk chunk) {
    Path file = Path.of(chunk.getPath());
    int length = Math.toIntExact(chunk.getEndByte() - chunk.getStartByte());
    byte[] bytes = new byte[length];
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long position = chunk.getStartByte();
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new BadInputException(
              file
                  + ": ends at byte "
                  + position
                  + ", before "
                  + chunk.getEndByte()
                  + "; the file changed while it was being read");
        }
        position += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return bytes;
  }

  /**
   * Throws {@link BadInputException} naming the file, byte offset and line of the first byte that
   * is not valid UTF-8. Chunks end at line ends, so no character straddles two chunks.
   */
  public static void requireUtf8(TextChunk chunk, byte[] bytes) {
    int bad = Utf8.firstInvalid(bytes, 0, bytes.length);
    if (bad >= 0) {
      throw new BadInputException(
          chunk.getPath()
              + ": invalid UTF-8 byte 0x"
              + String.format(Locale.ROOT, "%02x", bytes[bad] & 0xFF)
              + " at byte offset "
              + (chunk.getStartByte() + bad)
              + " (line "
              + (lineOf(chunk, bytes, bad) + 1)
              + ")");
    }
  }

  /** The 0-based line of byte {@code index} of the chunk, counting newlines from the file start. */
  private static long lineOf(TextChunk chunk, byte[] bytes, int index) {
    long lines = 0;
    Path file = Path.of(chunk.getPath());
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
      long position = 0;
      while (position < chunk.getStartByte()) {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), chunk.getStartByte() - position));
        int n = channel.read(buffer, position);
        if (n < 0) {
          break;
        }
        for (int k = 0; k < n; k++) {
          if (buffer.get(k) == '\n') {
            lines++;
          }
        }
        position += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    for (int k = 0; k < index; k++) {
      if (bytes[k] == '\n') {
        lines++;
      }
    }
    return lines;
  }

  private static long nextLineStart(FileChannel channel, long from, long size, ByteBuffer buffer)
      throws IOException {
    long position = from;
    while (position < size) {
      buffer.clear();
      int n = channel.read(buffer, position);
      for (int k = 0; k < n; k++) {
        if (buffer.get(k) == '\n') {
          return position + k + 1;
        }
      }
      position += n;
    }
    return size;
  }
}
