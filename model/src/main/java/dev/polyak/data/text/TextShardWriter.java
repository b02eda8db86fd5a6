package dev.polyak.data.text;

import dev.polyak.data.io.ShardFiles;
import dev.polyak.data.io.ParquetShards;
import dev.polyak.data.io.ShardPlan;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextShardTask;
import dev.polyak.schemas.TokenSequence;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.ParquetWriter;

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
    this.eolId = (int) index.get(eolBytes(config), 0, eolBytes(config).length, Vocabulary.UNK_ID);
  }

  public ShardResult write(TextShardTask task, SplitLayout layout, Path folder) {
    String name = ShardPlan.fileName(task.getSplit(), task.getShardIndex(), task.getShardCount());
    Path file = folder.resolve(name);
    long seqLen = config.seqLen();
    long tokenFrom = task.getFirstSequence() * seqLen;
    long tokenTo = Math.min((task.getFirstSequence() + task.getSequenceCount()) * seqLen, layout.tokens());
    RowBuilder rows;
    try (ParquetWriter<TokenSequence> writer = ParquetShards.writer(file, TokenSequence.getClassSchema())) {
      rows = new RowBuilder(task, writer, tokenFrom, tokenTo);
      if (tokenFrom < tokenTo) {
        for (int c = layout.chunkOfToken(tokenFrom); c < layout.chunkCount() && layout.tokenStart(c) < tokenTo; c++) {
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
          name + ": wrote " + rows.rowsWritten + " rows where " + task.getSequenceCount()
              + " were planned; did an input file change during the run?");
    }
    ShardResult result =
        ShardFiles.describe(task.getSplit(), task.getShardIndex(), task.getShardCount(), file, rows.rowsWritten);
    result.setRealTokens(rows.realTokens);
    result.setUnkTokens(rows.unkTokens);
    return result;
  }

  private static byte[] eolBytes(WikiTextConfig config) {
    return config.eolToken().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }


  /** Receives the tokens of consecutive chunks and writes the rows that fall in the shard. */
  private final class RowBuilder implements TokenScanner.Visitor {
    private final TextShardTask task;
    private final ParquetWriter<TokenSequence> writer;
    private final long tokenFrom;
    private final long tokenTo;
    private final List<Integer> ids;
    private final TokenSequence row = new TokenSequence();
    private long position;
    private long line;
    private int tokenInLine;
    private long firstLine;
    private int firstTokenInLine;
    private long rowsWritten;
    private long realTokens;
    private long unkTokens;

    RowBuilder(TextShardTask task, ParquetWriter<TokenSequence> writer, long tokenFrom, long tokenTo) {
      this.task = task;
      this.writer = writer;
      this.tokenFrom = tokenFrom;
      this.tokenTo = tokenTo;
      this.ids = new ArrayList<>(config.seqLen());
      row.setSplit(task.getSplit());
      row.setInputIds(ids);
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
      if (ids.isEmpty()) {
        firstLine = line;
        firstTokenInLine = tokenInLine;
      }
      ids.add(id);
      realTokens++;
      if (id == Vocabulary.UNK_ID) {
        unkTokens++;
      }
      if (ids.size() == config.seqLen()) {
        emit(ids.size());
      }
    }

    void finish() throws IOException {
      if (!ids.isEmpty()) {
        int length = ids.size();
        while (ids.size() < config.seqLen()) {
          ids.add(Vocabulary.PAD_ID);
        }
        emit(length);
      }
    }

    private void emit(int length) {
      row.setSequenceIndex(task.getFirstSequence() + rowsWritten);
      row.setLength(length);
      row.setFirstLine(firstLine);
      row.setFirstTokenInLine(firstTokenInLine);
      try {
        writer.write(row);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write a row of " + task.getSplit() + " shard " + task.getShardIndex(), e);
      }
      rowsWritten++;
      ids.clear();
    }
  }
}
