package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.SplitLayout;
import dev.polyak.data.text.TextShardWriter;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextShardTask;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Second pass: writes one shard into the temporary folder, from the vocabulary and chunk layout.
 */
public final class WriteTextShardFn extends DoFn<TextShardTask, ShardResult> {
  private final Counter rowsWritten = Metrics.counter(WriteTextShardFn.class, "rowsWritten");
  private final Counter shardsWritten = Metrics.counter(WriteTextShardFn.class, "shardsWritten");
  private final WikiTextConfig config;
  private final String tempFolder;
  private final PCollectionView<List<String>> vocabularyView;
  private final PCollectionView<List<ChunkStats>> statsView;
  private transient TextShardWriter writer;
  private transient Map<String, SplitLayout> layouts;

  public WriteTextShardFn(
      WikiTextConfig config,
      String tempFolder,
      PCollectionView<List<String>> vocabularyView,
      PCollectionView<List<ChunkStats>> statsView) {
    this.config = config;
    this.tempFolder = tempFolder;
    this.vocabularyView = vocabularyView;
    this.statsView = statsView;
  }

  @ProcessElement
  public void process(@Element TextShardTask task, ProcessContext context) {
    if (writer == null) {
      writer = new TextShardWriter(config, Vocabulary.of(context.sideInput(vocabularyView)));
      layouts = new HashMap<>();
    }
    SplitLayout layout =
        layouts.computeIfAbsent(
            task.getSplit(), split -> SplitLayout.of(split, context.sideInput(statsView)));
    ShardResult result = writer.write(task, layout, Path.of(tempFolder));
    rowsWritten.inc(result.getRows());
    shardsWritten.inc();
    context.output(result);
  }
}
