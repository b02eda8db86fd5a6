package dev.polyak.data.text;

import dev.polyak.data.io.ParquetShards;
import dev.polyak.data.io.ShardFiles;
import dev.polyak.data.io.ShardPlan;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextShardTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.api.Binary;

/**
 * Writes one WikiText shard: re-reads only the chunks that hold its token range, maps tokens to ids
 * and cuts them into rows of {@code seqLen}. Row {@code r} of a split holds the split's tokens
 * {@code [r * seqLen, (r + 1) * seqLen)}.
 */
public final class TextShardWriter {
  private final WikiTextConfig config;
  private final ByteSliceMap index;
  private final int eolId;

  public TextShardWriter(WikiTextConfig config, Vocabulary vocabulary) {
    this.config = config;
    this.index = vocabulary.index(config.unknownMarker());
    byte[] eol = config.eolToken().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.eolId = (int) index.get(eol, 0, eol.length, Vocabulary.UNK_ID);
  }

  public ShardResult write(TextShardTask task, SplitLayout layout, Path folder) {
    String name = ShardPlan.fileName(task.getSplit(), task.getShardIndex(), task.getShardCount());
    Path file = folder.resolve(name);
    long seqLen = config.seqLen();
    long tokenFrom = task.getFirstSequence() * seqLen;
    long tokenTo =
        Math.min((task.getFirstSequence() + task.getSequenceCount()) * seqLen, layout.tokens());
    RowBuilder rows;
    try (ParquetWriter<TokenRowWriteSupport.Row> writer =
        ParquetShards.writer(file, new TokenRowWriteSupport())) {
      rows = new RowBuilder(task, writer, tokenFrom, tokenTo);
      if (tokenFrom < tokenTo) {
        for (int c = layout.chunkOfToken(tokenFrom);
            c < layout.chunkCount() && layout.tokenStart(c) < tokenTo;
            c++) {
          byte[] bytes = TextChunks.read(layout.chunk(c));
          rows.startChunk(layout.tokenStart(c), layout.lineStart(c));
          TokenScanner.scan(bytes, 0, bytes.length, rows);
        }
      }
      rows.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shard " + file, e);
    }
    if (rows.rowsWritten != task.getSequenceCount()) {
      throw new IllegalStateException(
          name
              + ": wrote "
              + rows.rowsWritten
              + " rows where "
              + task.getSequenceCount()
              + " were planned; did an input file change during the run?");
    }
    ShardResult result =
        ShardFiles.describe(
            task.getSplit(), task.getShardIndex(), task.getShardCount(), file, rows.rowsWritten);
    result.setRealTokens(rows.realTokens);
    result.setUnkTokens(rows.unkTokens);
    return result;
  }

  /** Receives the tokens of consecutive chunks and writes the rows that fall in the shard. */
  private final class RowBuilder implements TokenScanner.Visitor {
    private final TextShardTask task;
    private final ParquetWriter<TokenRowWriteSupport.Row> writer;
    private final long tokenFrom;
    private final long tokenTo;
    private final int[] ids;
    private int filled;
    private final TokenRowWriteSupport.Row row = new TokenRowWriteSupport.Row();
    private long position;
    private long line;
    private int tokenInLine;
    private long firstLine;
    private int firstTokenInLine;
    private long rowsWritten;
    private long realTokens;
    private long unkTokens;

    RowBuilder(
        TextShardTask task,
        ParquetWriter<TokenRowWriteSupport.Row> writer,
        long tokenFrom,
        long tokenTo) {
      this.task = task;
      this.writer = writer;
      this.tokenFrom = tokenFrom;
      this.tokenTo = tokenTo;
      this.ids = new int[config.seqLen()];
      row.split = Binary.fromString(task.getSplit());
      row.ids = ids;
    }

    void startChunk(long tokenStart, long lineStart) {
      position = tokenStart;
      line = lineStart;
      tokenInLine = 0;
    }

    @Override
    public boolean token(byte[] bytes, int start, int end) {
      if (position >= tokenFrom) {
        append((int) index.get(bytes, start, end, Vocabulary.UNK_ID));
      }
      position++;
      tokenInLine++;
      return position < tokenTo;
    }

    @Override
    public boolean endOfLine() {
      if (position >= tokenFrom) {
        append(eolId);
      }
      position++;
      line++;
      tokenInLine = 0;
      return position < tokenTo;
    }

    private void append(int id) {
      if (filled == 0) {
        firstLine = line;
        firstTokenInLine = tokenInLine;
      }
      ids[filled++] = id;
      realTokens++;
      if (id == Vocabulary.UNK_ID) {
        unkTokens++;
      }
      if (filled == ids.length) {
        emit(filled);
      }
    }

    void finish() throws IOException {
      if (filled > 0) {
        int length = filled;
        java.util.Arrays.fill(ids, filled, ids.length, Vocabulary.PAD_ID);
        emit(length);
      }
    }

    private void emit(int length) {
      row.sequenceIndex = task.getFirstSequence() + rowsWritten;
      row.length = length;
      row.firstLine = firstLine;
      row.firstTokenInLine = firstTokenInLine;
      try {
        writer.write(row);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot write a row of " + task.getSplit() + " shard " + task.getShardIndex(), e);
      }
      rowsWritten++;
      filled = 0;
    }
  }
}
