package dev.polyak.data.image;

import dev.polyak.BadInputException;
import dev.polyak.data.io.ParquetShards;
import dev.polyak.data.io.ShardFiles;
import dev.polyak.data.io.ShardPlan;
import dev.polyak.schemas.ImageRecord;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.RecordRange;
import dev.polyak.schemas.ShardResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * Writes one CIFAR shard, pixels unchanged, and gathers the statistics the manifest combines: rows
 * per label and exact per-channel sums of pixel values and of their squares.
 */
public final class CifarShardWriter {
  private final CifarVariant variant;

  public CifarShardWriter(CifarVariant variant) {
    this.variant = variant;
  }

  public ShardResult write(ImageShardTask task, Path folder) {
    String name = ShardPlan.fileName(task.getSplit(), task.getShardIndex(), task.getShardCount());
    Path file = folder.resolve(name);
    long[] labels = new long[variant.labelCount()];
    long[] coarse = new long[variant.coarseLabelCount()];
    long[] sum = new long[CifarVariant.CHANNELS];
    long[] sumSquares = new long[CifarVariant.CHANNELS];
    long rows = 0;
    byte[] record = new byte[variant.recordBytes()];
    ImageRecord row = new ImageRecord();
    row.setSplit(task.getSplit());
    try (ParquetWriter<ImageRecord> writer =
        ParquetShards.writer(file, ImageRecord.getClassSchema())) {
      for (RecordRange range : task.getRanges()) {
        Path source = Path.of(range.getPath());
        row.setSourceFile(source.getFileName().toString());
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ);
            InputStream in =
                new java.io.BufferedInputStream(
                    Channels.newInputStream(
                        channel.position(range.getFirstRecord() * record.length)),
                    1 << 20)) {
          for (long r = 0; r < range.getRecordCount(); r++) {
            long index = range.getFirstRecord() + r;
            if (in.readNBytes(record, 0, record.length) != record.length) {
              throw new BadInputException(
                  source
                      + ": record "
                      + index
                      + " is truncated (the file changed during the run?)");
            }
            int fine = record[variant.labelBytes() - 1] & 0xFF;
            if (fine >= variant.labelCount()) {
              throw new BadInputException(
                  source
                      + ": record "
                      + index
                      + " (byte offset "
                      + index * record.length
                      + ") has label "
                      + fine
                      + ", outside 0.."
                      + (variant.labelCount() - 1)
                      + "; not a "
                      + variant.id()
                      + " file?");
            }
            labels[fine]++;
            Integer coarseLabel = null;
            if (variant.coarseLabelCount() > 0) {
              int c = record[0] & 0xFF;
              if (c >= variant.coarseLabelCount()) {
                throw new BadInputException(
                    source
                        + ": record "
                        + index
                        + " has coarse label "
                        + c
                        + ", outside 0.."
                        + (variant.coarseLabelCount() - 1));
              }
              coarse[c]++;
              coarseLabel = c;
            }
            accumulate(record, variant.labelBytes(), sum, sumSquares);
            row.setIndex(index);
            row.setLabel(fine);
            row.setCoarseLabel(coarseLabel);
            row.setImage(
                ByteBuffer.wrap(Arrays.copyOfRange(record, variant.labelBytes(), record.length)));
            writer.write(row);
            rows++;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shard " + file, e);
    }
    ShardResult result =
        ShardFiles.describe(
            task.getSplit(), task.getShardIndex(), task.getShardCount(), file, rows);
    result.setLabelCounts(ShardFiles.toList(labels));
    result.setCoarseLabelCounts(ShardFiles.toList(coarse));
    result.setChannelSum(ShardFiles.toList(sum));
    result.setChannelSumSquares(ShardFiles.toList(sumSquares));
    return result;
  }

  private static void accumulate(byte[] record, int offset, long[] sum, long[] sumSquares) {
    int plane = CifarVariant.HEIGHT * CifarVariant.WIDTH;
    for (int channel = 0; channel < CifarVariant.CHANNELS; channel++) {
      long s = 0;
      long q = 0;
      int base = offset + channel * plane;
      for (int i = 0; i < plane; i++) {
        int v = record[base + i] & 0xFF;
        s += v;
        q += v * v;
      }
      sum[channel] += s;
      sumSquares[channel] += q;
    }
  }
}
