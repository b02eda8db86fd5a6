package dev.polyak.data.image;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides the bytes of a CIFAR shard set; recorded in its manifest.
 *
 * @param rowsPerShard images per shard file (ignored when {@code shards > 0}); 10,000 is one
 *     official batch file, about 31 MB
 * @param shards a fixed number of shard files per split; 0 to cut by {@code rowsPerShard}
 */
public record CifarConfig(long rowsPerShard, int shards) implements Serializable {
  public static CifarConfig defaults() {
    return new CifarConfig(10_000, 0);
  }

  public CifarConfig {
    if (rowsPerShard < 1) {
      throw new IllegalArgumentException(
          "--rows-per-shard must be at least 1, got " + rowsPerShard);
    }
    if (shards < 0) {
      throw new IllegalArgumentException(
          "--shards must be 0 (use --rows-per-shard) or positive, got " + shards);
    }
  }

  public Map<String, Object> describe(CifarVariant variant) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("variant", variant.id());
    m.put("rows_per_shard", shards > 0 ? null : rowsPerShard);
    m.put("shards", shards > 0 ? shards : null);
    return m;
  }
}
