package dev.polyak.data.read;

import dev.polyak.BadInputException;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.io.ParquetShards;
import dev.polyak.schemas.ImageRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.hadoop.ParquetReader;

/** Loads the images of a split, checking the split, image size and label ranges row by row. */
final class ImageShardReader {
  private ImageShardReader() {}

  static ImageDataset read(
      Path folder,
      String split,
      List<ShardEntry> shards,
      String variantId,
      float[] mean,
      float[] std) {
    CifarVariant variant;
    try {
      variant = CifarVariant.fromId(variantId);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(folder + ": manifest config.variant: " + e.getMessage(), e);
    }
    int total = Math.toIntExact(shards.stream().mapToLong(ShardEntry::rows).sum());
    byte[][] images = new byte[total][];
    int[] labels = new int[total];
    int[] coarse = variant.coarseLabelCount() > 0 ? new int[total] : null;
    int next = 0;
    for (ShardEntry shard : shards) {
      Path file = folder.resolve(shard.file());
      int first = next;
      try (ParquetReader<ImageRecord> reader = ParquetShards.reader(file)) {
        for (ImageRecord row = reader.read(); row != null; row = reader.read()) {
          if (next - first >= shard.rows()) {
            throw new BadInputException(
                file + ": more rows than the " + shard.rows() + " the manifest lists");
          }
          String where =
              file
                  + ": row "
                  + (next - first)
                  + " ("
                  + row.getSourceFile()
                  + " record "
                  + row.getIndex()
                  + ")";
          if (!row.getSplit().toString().equals(split)) {
            throw new BadInputException(
                where + ": split '" + row.getSplit() + "', expected '" + split + "'");
          }
          images[next] = bytes(where, row.getImage());
          labels[next] = label(where, "label", row.getLabel(), variant.labelCount());
          if (coarse != null) {
            if (row.getCoarseLabel() == null) {
              throw new BadInputException(
                  where + ": no coarse_label in a " + variant.id() + " set");
            }
            coarse[next] =
                label(where, "coarse_label", row.getCoarseLabel(), variant.coarseLabelCount());
          } else if (row.getCoarseLabel() != null) {
            throw new BadInputException(where + ": a coarse_label in a " + variant.id() + " set");
          }
          next++;
        }
      } catch (BadInputException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        throw new BadInputException(
            file + ": cannot read as an image shard (" + e.getMessage() + ")", e);
      }
      if (next - first != shard.rows()) {
        throw new BadInputException(
            file + ": " + (next - first) + " rows, but the manifest lists " + shard.rows());
      }
    }
    return new ImageDataset(
        split, images, labels, coarse, variant.labelCount(), mean.clone(), std.clone());
  }

  private static byte[] bytes(String where, ByteBuffer image) {
    ByteBuffer b = image.duplicate();
    if (b.remaining() != CifarVariant.IMAGE_BYTES) {
      throw new BadInputException(
          where + ": image of " + b.remaining() + " bytes, expected " + CifarVariant.IMAGE_BYTES);
    }
    byte[] bytes = new byte[CifarVariant.IMAGE_BYTES];
    b.get(bytes);
    return bytes;
  }

  private static int label(String where, String column, int value, int count) {
    if (value < 0 || value >= count) {
      throw new BadInputException(
          where + ": " + column + " " + value + " outside 0.." + (count - 1));
    }
    return value;
  }
}
