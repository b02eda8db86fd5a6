package dev.polyak.data.io;

/**
 * How the rows of one split are cut into shards: shard {@code i} holds rows {@code [firstRow(i),
 * firstRow(i + 1))}. Either a fixed number of rows per shard (the last shard takes what is left) or
 * a fixed number of shards with rows spread evenly ({@code floor(i * rows / shards)} boundaries). A
 * split with no rows still gets one (empty) shard, so that every split of the manifest has a file.
 */
public final class ShardPlan {
  private final long rows;
  private final int shardCount;
  private final long rowsPerShard;

  private ShardPlan(long rows, int shardCount, long rowsPerShard) {
    this.rows = rows;
    this.shardCount = shardCount;
    this.rowsPerShard = rowsPerShard;
  }

  public static ShardPlan byRowsPerShard(long rows, long rowsPerShard) {
    if (rowsPerShard <= 0) {
      throw new IllegalArgumentException("rows per shard must be positive, got " + rowsPerShard);
    }
    long shards = Math.max(1, (rows + rowsPerShard - 1) / rowsPerShard);
    if (shards > 99_999) {
      throw new IllegalArgumentException(
          rows + " rows at " + rowsPerShard + " per shard give more than 99,999 shards");
    }
    return new ShardPlan(rows, (int) shards, rowsPerShard);
  }

  public static ShardPlan byShardCount(long rows, int shards) {
    if (shards <= 0 || shards > 99_999) {
      throw new IllegalArgumentException("shard count must be in 1..99999, got " + shards);
    }
    return new ShardPlan(rows, shards, 0);
  }

  public int shardCount() {
    return shardCount;
  }

  public long rows() {
    return rows;
  }

  public long firstRow(int shard) {
    if (shard < 0 || shard > shardCount) {
      throw new IndexOutOfBoundsException("shard " + shard + " of " + shardCount);
    }
    if (rowsPerShard > 0) {
      return Math.min(rows, shard * rowsPerShard);
    }
    return Math.multiplyExact((long) shard, rows) / shardCount;
  }

  public long rowCount(int shard) {
    return firstRow(shard + 1) - firstRow(shard);
  }

  /**
   * {@code <split>-NNNNN-of-MMMMM.parquet}, ASCII digits whatever the default locale (Arabic or
   * Thai would not give them).
   */
  public static String fileName(String split, int shard, int shardCount) {
    return String.format(
        java.util.Locale.ROOT, "%s-%05d-of-%05d.parquet", split, shard, shardCount);
  }

  /** Whether a file name is a shard of any split, as {@link #fileName} writes them. */
  public static boolean isShardFileName(String name) {
    return name.matches("[A-Za-z0-9_]+-\\d{5}-of-\\d{5}\\.parquet");
  }
}
