package dev.polyak.data.text;

import dev.polyak.data.io.ShardPlan;
import dev.polyak.schemas.TextShardTask;
import java.util.ArrayList;
import java.util.List;

/** The shards of one split, from its token count and the configured sharding. */
public final class TextShardTasks {
  private TextShardTasks() {}

  public static List<TextShardTask> plan(String split, long tokens, WikiTextConfig config) {
    long rows = config.rowsFor(tokens);
    ShardPlan plan =
        config.shards() > 0
            ? ShardPlan.byShardCount(rows, config.shards())
            : ShardPlan.byRowsPerShard(rows, config.rowsPerShard());
    List<TextShardTask> tasks = new ArrayList<>();
    for (int shard = 0; shard < plan.shardCount(); shard++) {
      tasks.add(
          new TextShardTask(
              split, shard, plan.shardCount(), plan.firstRow(shard), plan.rowCount(shard)));
    }
    return tasks;
  }
}
