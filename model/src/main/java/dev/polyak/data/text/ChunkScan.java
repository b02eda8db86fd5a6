package dev.polyak.data.text;

import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.TextChunk;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The first pass over a chunk: validates it as UTF-8, counts its lines and tokens, and (for the
 * vocabulary split) how often each token occurs.
 */
public final class ChunkScan {
  private final ChunkStats stats;
  private final Map<String, Long> tokenCounts;

  private ChunkScan(ChunkStats stats, Map<String, Long> tokenCounts) {
    this.stats = stats;
    this.tokenCounts = tokenCounts;
  }

  public static ChunkScan scan(TextChunk chunk, boolean countTokens, String eolToken) {
    ByteSliceMap counts = countTokens ? new ByteSliceMap(1 << 14) : null;
    ChunkStats stats = scan(chunk, counts, eolToken);
    Map<String, Long> tokenCounts = null;
    if (counts != null) {
      Map<String, Long> map = new HashMap<>(counts.size() * 2);
      counts.forEach(map::put);
      tokenCounts = map;
    }
    return new ChunkScan(stats, tokenCounts);
  }

  /**
   * Scans a chunk and, unless {@code counts} is null, adds its token counts (end-of-line tokens
   * included, as {@code eolToken}) to {@code counts}, so one map can sum many chunks without a
   * {@code String} per distinct token and chunk.
   */
  public static ChunkStats scan(TextChunk chunk, ByteSliceMap counts, String eolToken) {
    byte[] bytes = TextChunks.read(chunk);
    TextChunks.requireUtf8(chunk, bytes);
    long[] linesAndTokens = new long[2];
    TokenScanner.scan(
        bytes,
        0,
        bytes.length,
        new TokenScanner.Visitor() {
          @Override
          public boolean token(byte[] b, int start, int end) {
            linesAndTokens[1]++;
            if (counts != null) {
              counts.add(b, start, end, 1);
            }
            return true;
          }

          @Override
          public boolean endOfLine() {
            linesAndTokens[0]++;
            linesAndTokens[1]++;
            return true;
          }
        });
    if (counts != null && linesAndTokens[0] > 0) {
      byte[] eol = eolToken.getBytes(StandardCharsets.UTF_8);
      counts.add(eol, 0, eol.length, linesAndTokens[0]);
    }
    return new ChunkStats(chunk, linesAndTokens[0], linesAndTokens[1]);
  }

  public ChunkStats stats() {
    return stats;
  }

  /** Token counts of the chunk, end-of-line tokens included; empty unless counted. */
  public Optional<Map<String, Long>> tokenCounts() {
    return Optional.ofNullable(tokenCounts);
  }
}
