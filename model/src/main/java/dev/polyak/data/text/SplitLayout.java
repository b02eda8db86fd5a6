package dev.polyak.data.text;

import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.TextChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where every chunk of one split starts in the split's token stream and line numbering: the prefix
 * sums of the chunk scans. This is what lets each shard be written independently.
 */
public final class SplitLayout {
  private final String split;
  private final List<TextChunk> chunks;
  private final long[] tokenStart;
  private final long[] lineStart;

  private SplitLayout(String split, List<TextChunk> chunks, long[] tokenStart, long[] lineStart) {
    this.split = split;
    this.chunks = chunks;
    this.tokenStart = tokenStart;
    this.lineStart = lineStart;
  }

  /** The layout of {@code split} from the scans of all chunks (of any split, in any order). */
  public static SplitLayout of(String split, Iterable<ChunkStats> allStats) {
    List<ChunkStats> stats = new ArrayList<>();
    for (ChunkStats s : allStats) {
      if (s.getChunk().getSplit().equals(split)) {
        stats.add(s);
      }
    }
    stats.sort(Comparator.comparingInt(s -> s.getChunk().getChunkIndex()));
    List<TextChunk> chunks = new ArrayList<>();
    long[] tokenStart = new long[stats.size() + 1];
    long[] lineStart = new long[stats.size() + 1];
    for (int i = 0; i < stats.size(); i++) {
      ChunkStats s = stats.get(i);
      if (s.getChunk().getChunkIndex() != i) {
        throw new IllegalStateException("split " + split + " is missing the scan of chunk " + i);
      }
      chunks.add(s.getChunk());
      tokenStart[i + 1] = tokenStart[i] + s.getTokens();
      lineStart[i + 1] = lineStart[i] + s.getLines();
    }
    return new SplitLayout(split, chunks, tokenStart, lineStart);
  }

  public String split() {
    return split;
  }

  public long tokens() {
    return tokenStart[chunks.size()];
  }

  public long lines() {
    return lineStart[chunks.size()];
  }

  public int chunkCount() {
    return chunks.size();
  }

  public TextChunk chunk(int i) {
    return chunks.get(i);
  }

  public long tokenStart(int chunk) {
    return tokenStart[chunk];
  }

  public long lineStart(int chunk) {
    return lineStart[chunk];
  }

  /** The chunk holding global token position {@code token}. */
  public int chunkOfToken(long token) {
    int i = Arrays.binarySearch(tokenStart, 0, chunks.size(), token);
    if (i < 0) {
      return -i - 2;
    }
    // Several chunks may start at the same position when some hold no token; take the last.
    while (i + 1 < chunks.size() && tokenStart[i + 1] == token) {
      i++;
    }
    return i;
  }
}
