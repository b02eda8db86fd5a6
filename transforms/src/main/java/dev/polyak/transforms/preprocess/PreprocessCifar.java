package dev.polyak.transforms.preprocess;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarLayout;
import dev.polyak.data.image.CifarShardTasks;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.ShardResult;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * CIFAR binary files to a shard set: the shards are planned from the file sizes, written in
 * parallel (each gathers its label counts and exact pixel sums), the statistics are combined per
 * split, and the set is committed with its manifest.
 */
public final class PreprocessCifar extends PTransform<PBegin, PCollection<String>> {
  private final CifarLayout layout;
  private final CifarConfig config;
  private final Path inputFolder;
  private final Path tempFolder;
  private final Path outFolder;
  private final boolean overwrite;

  public PreprocessCifar(
      CifarLayout layout,
      CifarConfig config,
      Path inputFolder,
      Path tempFolder,
      Path outFolder,
      boolean overwrite) {
    this.layout = layout;
    this.config = config;
    this.inputFolder = inputFolder;
    this.tempFolder = tempFolder;
    this.outFolder = outFolder;
    this.overwrite = overwrite;
  }

  @Override
  public PCollection<String> expand(PBegin begin) {
    PCollection<ShardResult> results =
        begin
            .apply(
                "PlanShards",
                Create.of(CifarShardTasks.plan(layout, config))
                    .withCoder(AvroCoder.of(ImageShardTask.class)))
            .apply("SpreadShards", Reshuffle.viaRandomKey())
            .apply(
                "WriteShards",
                ParDo.of(new WriteImageShardFn(layout.variant(), tempFolder.toString())))
            .setCoder(AvroCoder.of(ShardResult.class));
    ShardResultsBySplit byShard = ShardResultsBySplit.of(results);
    List<String> paths =
        layout.splits().values().stream()
            .flatMap(List::stream)
            .map(f -> f.path().toString())
            .toList();
    PCollectionView<List<FileDigest>> inputs =
        begin
            .apply("InputFiles", Create.of(paths))
            .apply("DigestInputs", new DigestInputs(inputFolder));
    return begin
        .apply("CommitToken", Create.of("commit"))
        .apply(
            "Commit",
            ParDo.of(
                    new CommitImageShardSetFn(
                        layout.variant(),
                        config,
                        tempFolder.toString(),
                        outFolder.toString(),
                        overwrite,
                        byShard.totals,
                        byShard.shards,
                        inputs))
                .withSideInputs(byShard.totals, byShard.shards, inputs));
  }
}
