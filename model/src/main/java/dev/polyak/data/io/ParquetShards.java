package dev.polyak.data.io;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * The one place that decides how shards are laid out on disk: standard three-level Parquet lists
 * (so pyarrow, DuckDB and Spark see {@code list<int32>}), Snappy pages, fixed row-group and page
 * sizes, no timestamps. Same rows in, same bytes out.
 */
public final class ParquetShards {
  /** Row groups of at most 64 MiB: one or two per shard at the default sizes. */
  public static final int ROW_GROUP_BYTES = 64 << 20;

  public static final int PAGE_BYTES = 1 << 20;

  private ParquetShards() {}

  /** A writer of Avro specific records of {@code schema}. */
  public static <T> ParquetWriter<T> writer(Path file, Schema schema) throws IOException {
    return configure(
            AvroParquetWriter.<T>builder(new LocalOutputFile(file))
                .withSchema(schema)
                .withDataModel(SpecificData.get()))
        .build();
  }

  /** A writer that hands rows to {@code support} (for rows too hot for the generic Avro path). */
  public static <T> ParquetWriter<T> writer(Path file, WriteSupport<T> support) throws IOException {
    return configure(new SupportBuilder<>(new LocalOutputFile(file), support)).build();
  }

  private static final class SupportBuilder<T> extends ParquetWriter.Builder<T, SupportBuilder<T>> {
    private final WriteSupport<T> support;

    private SupportBuilder(LocalOutputFile file, WriteSupport<T> support) {
      super(file);
      this.support = support;
    }

    @Override
    protected SupportBuilder<T> self() {
      return this;
    }

    @Override
    protected WriteSupport<T> getWriteSupport(Configuration conf) {
      return support;
    }
  }

  private static <T, B extends ParquetWriter.Builder<T, B>> ParquetWriter.Builder<T, B> configure(
      ParquetWriter.Builder<T, B> builder) {
    return builder
        .withConf(configuration())
        .withWriteMode(ParquetFileWriter.Mode.CREATE)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withRowGroupSize(ROW_GROUP_BYTES)
        .withPageSize(PAGE_BYTES)
        .withDictionaryEncoding(true);
  }

  /** A reader of the specific Avro class the shard was written with. */
  public static <T> ParquetReader<T> reader(Path file) throws IOException {
    Configuration conf = configuration();
    return AvroParquetReader.<T>builder(
            HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf))
        .withDataModel(SpecificData.get())
        .withConf(conf)
        .build();
  }

  private static Configuration configuration() {
    Configuration conf = new Configuration(false);
    conf.setBoolean(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, false);
    conf.setBoolean(AvroReadSupport.AVRO_COMPATIBILITY, false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    return conf;
  }
}
