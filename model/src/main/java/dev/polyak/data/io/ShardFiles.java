package dev.polyak.data.io;

import dev.polyak.io.Digests;
import dev.polyak.schemas.ShardResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Describes a written shard file, and adds up shard statistics per split. */
public final class ShardFiles {
  private ShardFiles() {}

  /** A result for {@code file} with its size and digest and zero statistics. */
  public static ShardResult describe(
      String split, int shardIndex, int shardCount, Path file, long rows) {
    ShardResult result = new ShardResult();
    result.setSplit(split);
    result.setShardIndex(shardIndex);
    result.setShardCount(shardCount);
    result.setFileName(file.getFileName().toString());
    result.setRows(rows);
    try {
      result.setSizeBytes(Files.size(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
    result.setSha256(Digests.sha256Hex(file));
    result.setRealTokens(0L);
    result.setUnkTokens(0L);
    result.setLabelCounts(List.of());
    result.setCoarseLabelCounts(List.of());
    result.setChannelSum(List.of());
    result.setChannelSumSquares(List.of());
    return result;
  }

  /** The empty sum: rows and statistics 0, no file. */
  public static ShardResult zero(String split) {
    return new ShardResult(
        split, -1, 0, "", 0L, 0L, "", 0L, 0L, List.of(), List.of(), List.of(), List.of());
  }

  /** Adds the rows, sizes and statistics of two results of the same split (exact, order-free). */
  public static ShardResult sum(ShardResult a, ShardResult b) {
    return new ShardResult(
        a.getSplit(),
        -1,
        0,
        "",
        a.getRows() + b.getRows(),
        a.getSizeBytes() + b.getSizeBytes(),
        "",
        a.getRealTokens() + b.getRealTokens(),
        a.getUnkTokens() + b.getUnkTokens(),
        add(a.getLabelCounts(), b.getLabelCounts()),
        add(a.getCoarseLabelCounts(), b.getCoarseLabelCounts()),
        add(a.getChannelSum(), b.getChannelSum()),
        add(a.getChannelSumSquares(), b.getChannelSumSquares()));
  }

  public static List<Long> toList(long[] values) {
    List<Long> list = new ArrayList<>(values.length);
    for (long v : values) {
      list.add(v);
    }
    return list;
  }

  private static List<Long> add(List<Long> a, List<Long> b) {
    if (a.isEmpty()) {
      return b;
    }
    if (b.isEmpty()) {
      return a;
    }
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(
          "cannot add statistics of sizes " + a.size() + " and " + b.size());
    }
    List<Long> sum = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      sum.add(a.get(i) + b.get(i));
    }
    return sum;
  }
}
