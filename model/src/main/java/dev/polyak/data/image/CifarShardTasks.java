package dev.polyak.data.image;

import dev.polyak.data.io.ShardPlan;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.RecordRange;
import java.util.ArrayList;
import java.util.List;

/** Cuts each split's records (its files concatenated in official order) into shards. */
public final class CifarShardTasks {
  private CifarShardTasks() {}

  public static List<ImageShardTask> plan(CifarLayout layout, CifarConfig config) {
    List<ImageShardTask> tasks = new ArrayList<>();
    layout
        .splits()
        .forEach(
            (split, files) -> {
              long rows = files.stream().mapToLong(CifarLayout.SourceFile::records).sum();
              ShardPlan plan =
                  config.shards() > 0
                      ? ShardPlan.byShardCount(rows, config.shards())
                      : ShardPlan.byRowsPerShard(rows, config.rowsPerShard());
              for (int shard = 0; shard < plan.shardCount(); shard++) {
                tasks.add(
                    new ImageShardTask(
                        split,
                        shard,
                        plan.shardCount(),
                        ranges(files, plan.firstRow(shard), plan.firstRow(shard + 1))));
              }
            });
    return tasks;
  }

  private static List<RecordRange> ranges(List<CifarLayout.SourceFile> files, long from, long to) {
    List<RecordRange> ranges = new ArrayList<>();
    long fileStart = 0;
    for (CifarLayout.SourceFile file : files) {
      long fileEnd = fileStart + file.records();
      long start = Math.max(from, fileStart);
      long end = Math.min(to, fileEnd);
      if (start < end) {
        ranges.add(new RecordRange(file.path().toString(), start - fileStart, end - start));
      }
      fileStart = fileEnd;
    }
    return ranges;
  }
}
