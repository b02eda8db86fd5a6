package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.ParquetShards;
import dev.polyak.schemas.TokenSequence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The column-direct path against Parquet's own record assembly (the reference): the same rows give
 * the same bytes, and read back as the rows written.
 */
class TokenRowWriteSupportTest {
  @TempDir Path dir;

  @Test
  void writesTheSameBytesAsParquetsRecordConsumerWithTheShardSettings() throws IOException {
    List<TokenRowWriteSupport.Row> rows = rows(3_000, 64, 7);
    Path reference = dir.resolve("reference.parquet");
    Path direct = dir.resolve("direct.parquet");
    TokenRowWriteSupport referenceSupport = new TokenRowWriteSupport(false);
    TokenRowWriteSupport directSupport = new TokenRowWriteSupport();
    write(ParquetShards.writer(reference, referenceSupport), rows);
    write(ParquetShards.writer(direct, directSupport), rows);

    assertThat(referenceSupport.writesColumnsDirectly()).isFalse();
    assertThat(directSupport.writesColumnsDirectly())
        .as("Parquet's record consumer no longer exposes its column store: the fast path is off")
        .isTrue();
    assertThat(Files.readAllBytes(direct)).isEqualTo(Files.readAllBytes(reference));
    assertReadsBack(direct, rows);
  }

  @Test
  void staysIdenticalAcrossManyRowGroupsPagesAndEmptyRows() throws IOException {
    // Small row groups and pages: the column store is replaced after every row group, pages are
    // cut often, and random ids over a large range push the dictionary past its limit (fallback).
    List<TokenRowWriteSupport.Row> rows = rows(4_000, 50, 11);
    rows.add(row("valid", rows.size(), new int[0], 0, 9, 0));
    rows.addAll(rows(500, 50, 13));
    Path reference = dir.resolve("reference-small.parquet");
    Path direct = dir.resolve("direct-small.parquet");
    TokenRowWriteSupport directSupport = new TokenRowWriteSupport();
    write(smallGroups(reference, new TokenRowWriteSupport(false)), rows);
    write(smallGroups(direct, directSupport), rows);

    assertThat(directSupport.writesColumnsDirectly()).isTrue();
    assertThat(Files.readAllBytes(direct)).isEqualTo(Files.readAllBytes(reference));
    assertReadsBack(direct, rows);
  }

  private static List<TokenRowWriteSupport.Row> rows(int count, int seqLen, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<TokenRowWriteSupport.Row> rows = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      int[] ids = new int[seqLen];
      int length = r % 97 == 0 ? random.nextInt(seqLen) : seqLen;
      for (int i = 0; i < length; i++) {
        // Zipf-like small ids mostly, and now and then a huge one.
        ids[i] = random.nextInt(8) == 0 ? random.nextInt(1 << 24) : random.nextInt(1 + i * 40);
      }
      rows.add(row("train", r, ids, length, r * 3L, random.nextInt(1000)));
    }
    return rows;
  }

  private static TokenRowWriteSupport.Row row(
      String split, long index, int[] ids, int length, long firstLine, int firstToken) {
    TokenRowWriteSupport.Row row = new TokenRowWriteSupport.Row();
    row.split = Binary.fromString(split);
    row.sequenceIndex = index;
    row.ids = ids;
    row.length = length;
    row.firstLine = firstLine;
    row.firstTokenInLine = firstToken;
    return row;
  }

  private static void write(
      ParquetWriter<TokenRowWriteSupport.Row> writer, List<TokenRowWriteSupport.Row> rows)
      throws IOException {
    try (writer) {
      for (TokenRowWriteSupport.Row row : rows) {
        writer.write(row);
      }
    }
  }

  private static void assertReadsBack(Path file, List<TokenRowWriteSupport.Row> rows)
      throws IOException {
    try (ParquetReader<TokenSequence> reader = ParquetShards.reader(file)) {
      for (TokenRowWriteSupport.Row expected : rows) {
        TokenSequence actual = reader.read();
        assertThat(actual).isNotNull();
        assertThat(actual.getSplit().toString()).isEqualTo(expected.split.toStringUsingUTF8());
        assertThat(actual.getSequenceIndex()).isEqualTo(expected.sequenceIndex);
        assertThat(actual.getInputIds()).containsExactly(box(expected.ids));
        assertThat(actual.getLength()).isEqualTo(expected.length);
        assertThat(actual.getFirstLine()).isEqualTo(expected.firstLine);
        assertThat(actual.getFirstTokenInLine()).isEqualTo(expected.firstTokenInLine);
      }
      assertThat(reader.read()).isNull();
    }
  }

  private static Integer[] box(int[] ids) {
    Integer[] boxed = new Integer[ids.length];
    for (int i = 0; i < ids.length; i++) {
      boxed[i] = ids[i];
    }
    return boxed;
  }

  private static ParquetWriter<TokenRowWriteSupport.Row> smallGroups(
      Path file, TokenRowWriteSupport support) throws IOException {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    OutputFile out = HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf);
    return new Builder(out, support)
        .withConf(conf)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withRowGroupSize(64 << 10)
        .withPageSize(4 << 10)
        .withDictionaryPageSize(16 << 10)
        .withDictionaryEncoding(true)
        .build();
  }

  private static final class Builder
      extends ParquetWriter.Builder<TokenRowWriteSupport.Row, Builder> {
    private final TokenRowWriteSupport support;

    Builder(OutputFile file, TokenRowWriteSupport support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<TokenRowWriteSupport.Row> getWriteSupport(Configuration conf) {
      return support;
    }
  }
}
