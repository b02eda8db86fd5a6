package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.TextChunks;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextChunk;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * WikiText split files to a shard set: scan line-aligned chunks in parallel (validation, line and
 * token counts, vocabulary counts), build the vocabulary, plan the shards from the token counts,
 * write every shard independently, and commit the set with its manifest. The shard a row lands in
 * depends only on its position in its split, never on the runner or its parallelism.
 */
public final class PreprocessWikiText extends PTransform<PBegin, PCollection<String>> {
  private final WikiTextLayout layout;
  private final Map<String, Path> splitFiles;
  private final WikiTextConfig config;
  private final int chunkBytes;
  private final Path inputFolder;
  private final Path tempFolder;
  private final Path outFolder;
  private final boolean overwrite;

  public PreprocessWikiText(
      WikiTextLayout layout,
      Map<String, Path> splitFiles,
      WikiTextConfig config,
      int chunkBytes,
      Path inputFolder,
      Path tempFolder,
      Path outFolder,
      boolean overwrite) {
    this.layout = layout;
    this.splitFiles = splitFiles;
    this.config = config;
    this.chunkBytes = chunkBytes;
    this.inputFolder = inputFolder;
    this.tempFolder = tempFolder;
    this.outFolder = outFolder;
    this.overwrite = overwrite;
  }

  @Override
  public PCollection<String> expand(PBegin begin) {
    List<TextChunk> chunks = new ArrayList<>();
    splitFiles.forEach((split, file) -> chunks.addAll(TextChunks.plan(split, file, chunkBytes)));
    PCollectionTuple scanned =
        begin
            .apply("PlanChunks", Create.of(chunks).withCoder(AvroCoder.of(TextChunk.class)))
            .apply("SpreadChunks", Reshuffle.viaRandomKey())
            .apply(
                "ScanChunks",
                ParDo.of(new ScanChunkFn(config.vocabSplit(), config.eolToken()))
                    .withOutputTags(ScanChunkFn.STATS, TupleTagList.of(ScanChunkFn.TOKEN_COUNTS)));
    PCollectionView<List<ChunkStats>> stats =
        scanned
            .get(ScanChunkFn.STATS)
            .setCoder(AvroCoder.of(ChunkStats.class))
            .apply("ListChunkStats", View.asList());
    PCollectionView<List<String>> vocabulary =
        scanned
            .get(ScanChunkFn.TOKEN_COUNTS)
            .setCoder(MergeTokenCountsFn.coder())
            .apply("CountTokens", Combine.globally(new MergeTokenCountsFn()))
            .apply("BuildVocabulary", MapElements.via(new BuildVocabularyFn(config)))
            .setCoder(ListCoder.of(StringUtf8Coder.of()))
            .apply("VocabularyView", View.asSingleton());
    PCollection<ShardResult> results =
        begin
            .apply("Splits", Create.of(List.copyOf(splitFiles.keySet())))
            .apply(
                "PlanShards", ParDo.of(new PlanTextShardsFn(config, stats)).withSideInputs(stats))
            .setCoder(AvroCoder.of(dev.polyak.schemas.TextShardTask.class))
            .apply("SpreadShards", Reshuffle.viaRandomKey())
            .apply(
                "WriteShards",
                ParDo.of(new WriteTextShardFn(config, tempFolder.toString(), vocabulary, stats))
                    .withSideInputs(vocabulary, stats))
            .setCoder(AvroCoder.of(ShardResult.class));
    ShardResultsBySplit byShard = ShardResultsBySplit.of(results);
    PCollectionView<List<FileDigest>> inputs =
        begin
            .apply(
                "InputFiles",
                Create.of(
                    splitFiles.values().stream().map(p -> p.toAbsolutePath().toString()).toList()))
            .apply("DigestInputs", new DigestInputs(inputFolder));
    return begin
        .apply("CommitToken", Create.of("commit"))
        .apply(
            "Commit",
            ParDo.of(
                    new CommitTextShardSetFn(
                        layout,
                        config,
                        tempFolder.toString(),
                        outFolder.toString(),
                        overwrite,
                        vocabulary,
                        stats,
                        byShard.totals,
                        byShard.shards,
                        inputs))
                .withSideInputs(vocabulary, stats, byShard.totals, byShard.shards, inputs));
  }
}
