package dev.polyak.transforms.preprocess;

import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.data.manifest.TextManifest;
import dev.polyak.data.text.SplitLayout;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ShardResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Last step: writes {@code vocab.txt} and {@code manifest.json} next to the shards and moves the
 * whole set into the output folder, the manifest last. Runs once, after every shard is written (its
 * side inputs are the shard results).
 */
public final class CommitTextShardSetFn extends DoFn<String, String> {
  private final WikiTextLayout layout;
  private final WikiTextConfig config;
  private final String tempFolder;
  private final String outFolder;
  private final boolean overwrite;
  private final PCollectionView<List<String>> vocabularyView;
  private final PCollectionView<List<ChunkStats>> statsView;
  private final PCollectionView<Map<String, ShardResult>> totalsView;
  private final PCollectionView<List<ShardResult>> shardsView;
  private final PCollectionView<List<FileDigest>> inputsView;

  public CommitTextShardSetFn(
      WikiTextLayout layout,
      WikiTextConfig config,
      String tempFolder,
      String outFolder,
      boolean overwrite,
      PCollectionView<List<String>> vocabularyView,
      PCollectionView<List<ChunkStats>> statsView,
      PCollectionView<Map<String, ShardResult>> totalsView,
      PCollectionView<List<ShardResult>> shardsView,
      PCollectionView<List<FileDigest>> inputsView) {
    this.layout = layout;
    this.config = config;
    this.tempFolder = tempFolder;
    this.outFolder = outFolder;
    this.overwrite = overwrite;
    this.vocabularyView = vocabularyView;
    this.statsView = statsView;
    this.totalsView = totalsView;
    this.shardsView = shardsView;
    this.inputsView = inputsView;
  }

  @ProcessElement
  public void process(ProcessContext context) {
    Vocabulary vocabulary = Vocabulary.of(context.sideInput(vocabularyView));
    List<ChunkStats> stats = context.sideInput(statsView);
    Map<String, ShardResult> totals = context.sideInput(totalsView);
    Map<String, SplitLayout> layouts = new LinkedHashMap<>();
    for (String split : totals.keySet()) {
      layouts.put(split, SplitLayout.of(split, stats));
    }
    Path temp = Path.of(tempFolder);
    try {
      Files.write(temp.resolve(ShardSetCommitter.VOCABULARY), vocabulary.fileBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the vocabulary into " + temp, e);
    }
    Map<String, Object> manifest =
        TextManifest.build(
            layout,
            context.sideInput(inputsView),
            config,
            vocabulary,
            layouts,
            totals,
            context.sideInput(shardsView));
    Manifests.write(temp.resolve(ShardSetCommitter.MANIFEST), manifest);
    ShardSetCommitter.commit(temp, Path.of(outFolder), overwrite);
    context.output(Path.of(outFolder).resolve(ShardSetCommitter.MANIFEST).toString());
  }
}
