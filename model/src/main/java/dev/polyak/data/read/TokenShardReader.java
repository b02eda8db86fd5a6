package dev.polyak.data.read;

import dev.polyak.BadInputException;
import dev.polyak.data.io.ParquetShards;
import dev.polyak.schemas.TokenSequence;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.hadoop.ParquetReader;

/** Loads the token rows of a split, checking order, lengths and id range row by row. */
final class TokenShardReader {
  private TokenShardReader() {}

  static TokenDataset read(
      Path folder, String split, List<ShardEntry> shards, int seqLen, int vocabularySize) {
    long total = shards.stream().mapToLong(ShardEntry::rows).sum();
    int[][] rows = new int[Math.toIntExact(total)][];
    int[] lengths = new int[rows.length];
    int next = 0;
    for (ShardEntry shard : shards) {
      Path file = folder.resolve(shard.file());
      int first = next;
      try (ParquetReader<TokenSequence> reader = ParquetShards.reader(file)) {
        for (TokenSequence row = reader.read(); row != null; row = reader.read()) {
          if (next - first >= shard.rows()) {
            throw new BadInputException(
                file + ": more rows than the " + shard.rows() + " the manifest lists");
          }
          String where =
              file + ": row " + (next - first) + " (sequence_index " + row.getSequenceIndex() + ")";
          check(where, row, split, next, seqLen);
          rows[next] = ids(where, row.getInputIds(), vocabularySize);
          lengths[next] = row.getLength();
          next++;
        }
      } catch (BadInputException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        throw new BadInputException(
            file + ": cannot read as a token shard (" + e.getMessage() + ")", e);
      }
      if (next - first != shard.rows()) {
        throw new BadInputException(
            file + ": " + (next - first) + " rows, but the manifest lists " + shard.rows());
      }
    }
    return new TokenDataset(split, rows, lengths, vocabularySize, seqLen);
  }

  private static void check(
      String where, TokenSequence row, String split, long expectedIndex, int seqLen) {
    if (!row.getSplit().toString().equals(split)) {
      throw new BadInputException(
          where + ": split '" + row.getSplit() + "', expected '" + split + "'");
    }
    if (row.getSequenceIndex() != expectedIndex) {
      throw new BadInputException(
          where + ": out of order, expected sequence_index " + expectedIndex);
    }
    if (row.getInputIds().size() != seqLen) {
      throw new BadInputException(
          where + ": " + row.getInputIds().size() + " ids, expected seq_len " + seqLen);
    }
    if (row.getLength() < 0 || row.getLength() > seqLen) {
      throw new BadInputException(where + ": length " + row.getLength() + " outside 0.." + seqLen);
    }
  }

  private static int[] ids(String where, List<Integer> list, int vocabularySize) {
    int[] ids = new int[list.size()];
    for (int i = 0; i < ids.length; i++) {
      int id = list.get(i);
      if (id < 0 || id >= vocabularySize) {
        throw new BadInputException(
            where
                + ": id "
                + id
                + " at position "
                + i
                + " outside the vocabulary 0.."
                + (vocabularySize - 1));
      }
      ids[i] = id;
    }
    return ids;
  }
}
