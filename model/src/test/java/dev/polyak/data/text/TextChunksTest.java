package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.schemas.TextChunk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextChunksTest {
  @TempDir Path dir;

  @Test
  void chunksTileTheFileAndEndAfterANewline() throws IOException {
    Path file = dir.resolve("a.txt");
    Files.writeString(file, "one two\nthree\n\nfour five six seven\nx");
    List<TextChunk> chunks = TextChunks.plan("train", file, 3);
    assertThat(chunks).extracting(TextChunk::getStartByte).containsExactly(0L, 8L, 14L, 35L);
    assertThat(chunks).extracting(TextChunk::getEndByte).containsExactly(8L, 14L, 35L, 36L);
    assertThat(chunks).extracting(TextChunk::getChunkIndex).containsExactly(0, 1, 2, 3);
  }

  @Test
  void invalidUtf8IsReportedWithFileOffsetAndLine() throws IOException {
    Path file = dir.resolve("wiki.valid.tokens");
    byte[] bytes =
        " ok line \n another \n bad \u00e9 here \n"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int bad = indexOf(bytes, (byte) 0xC3);
    bytes[bad + 1] = (byte) 0x28; // 0xC3 0x28: a lead byte without its continuation byte
    Files.write(file, bytes);
    List<TextChunk> chunks = TextChunks.plan("valid", file, 12);
    assertThatThrownBy(() -> chunks.forEach(c -> ChunkScan.scan(c, true, "<eos>")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toAbsolutePath().toString())
        .hasMessageContaining("invalid UTF-8 byte 0xc3")
        .hasMessageContaining("byte offset " + bad)
        .hasMessageContaining("line 3");
  }

  @Test
  void countsOfManyChunksSumIntoOneMapAsStringSplitCountsThem() throws IOException {
    Path file = dir.resolve("wiki.train.tokens");
    String text = " a b a \n<eos> c\tb\n\n\u00e9t\u00e9 a\r\nlast b";
    Files.writeString(file, text);
    Map<String, Long> expected = new HashMap<>();
    for (String line : text.split("\n", -1)) {
      for (String token : line.trim().split("[ \t\r\f\u000b]+")) {
        if (!token.isEmpty()) {
          expected.merge(token, 1L, Long::sum);
        }
      }
    }
    expected.merge("<eos>", 5L, Long::sum); // five lines, the last without its newline
    ByteSliceMap counts = new ByteSliceMap(2);
    long tokens = 0;
    for (TextChunk chunk : TextChunks.plan("train", file, 4)) {
      tokens += ChunkScan.scan(chunk, counts, "<eos>").getTokens();
    }
    Map<String, Long> summed = new HashMap<>();
    counts.forEach(summed::put);
    assertThat(summed).isEqualTo(expected);
    assertThat(tokens).isEqualTo(expected.values().stream().mapToLong(Long::longValue).sum());
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new AssertionError();
  }
}
