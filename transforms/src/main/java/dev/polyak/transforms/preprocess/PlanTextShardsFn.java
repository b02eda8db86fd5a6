package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.SplitLayout;
import dev.polyak.data.text.TextShardTasks;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.TextShardTask;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;

/** For one split, the shards to write, once the scans say how many tokens it has. */
public final class PlanTextShardsFn extends DoFn<String, TextShardTask> {
  private final WikiTextConfig config;
  private final PCollectionView<List<ChunkStats>> statsView;

  public PlanTextShardsFn(WikiTextConfig config, PCollectionView<List<ChunkStats>> statsView) {
    this.config = config;
    this.statsView = statsView;
  }

  @ProcessElement
  public void process(@Element String split, ProcessContext context) {
    SplitLayout layout = SplitLayout.of(split, context.sideInput(statsView));
    for (TextShardTask task : TextShardTasks.plan(split, layout.tokens(), config)) {
      context.output(task);
    }
  }
}
