package dev.polyak.pipelines;

import dev.polyak.BadInputException;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarLayout;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.text.TextChunks;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.transforms.PolyakCoders;
import dev.polyak.transforms.preprocess.PreprocessCifar;
import dev.polyak.transforms.preprocess.PreprocessWikiText;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The preprocessing jobs: WikiText or CIFAR files in, a committed shard set with its manifest out.
 * Input is checked before the pipeline starts; output goes to a temporary folder that is removed if
 * the job fails, so a failed run leaves the output folder as it was.
 */
public final class PreprocessPipeline {
  private PreprocessPipeline() {}

  /** What to preprocess and where. */
  public record WikiTextJob(
      Path input, Path out, WikiTextConfig config, boolean overwrite, int chunkBytes) {
    public WikiTextJob(Path input, Path out, WikiTextConfig config, boolean overwrite) {
      this(input, out, config, overwrite, TextChunks.DEFAULT_CHUNK_BYTES);
    }
  }

  /** What to preprocess and where; an empty variant is detected from the file names. */
  public record CifarJob(
      Path input,
      Path out,
      Optional<CifarVariant> variant,
      CifarConfig config,
      boolean overwrite) {}

  public static PipelineResult run(WikiTextJob job, PipelineOptions options) {
    WikiTextLayout.Found found = WikiTextLayout.detect(job.input());
    Map<String, Path> splits = found.splits();
    if (!splits.containsKey(job.config().vocabSplit())) {
      throw new BadInputException(
          "input folder "
              + job.input()
              + " has no '"
              + job.config().vocabSplit()
              + "' split to build the vocabulary from"
              + " (it has "
              + String.join(", ", splits.keySet())
              + "); choose one with --vocab-split");
    }
    return runCommitted(
        job.out(),
        job.overwrite(),
        options,
        temp ->
            new PreprocessWikiText(
                found.layout(),
                splits,
                job.config(),
                job.chunkBytes(),
                job.input(),
                temp,
                job.out(),
                job.overwrite()));
  }

  public static PipelineResult run(CifarJob job, PipelineOptions options) {
    CifarLayout layout = CifarLayout.detect(job.input(), job.variant());
    return runCommitted(
        job.out(),
        job.overwrite(),
        options,
        temp ->
            new PreprocessCifar(
                layout, job.config(), job.input(), temp, job.out(), job.overwrite()));
  }

  private static PipelineResult runCommitted(
      Path out,
      boolean overwrite,
      PipelineOptions options,
      Function<Path, PTransform<PBegin, PCollection<String>>> job) {
    Path temp = ShardSetCommitter.prepare(out, overwrite);
    try {
      Pipeline pipeline = Pipeline.create(options);
      PolyakCoders.registerAll(pipeline);
      pipeline.apply("Preprocess", job.apply(temp));
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("preprocessing job ended in state " + state);
      }
      return result;
    } catch (RuntimeException e) {
      ShardSetCommitter.abandon(temp);
      throw JobFailures.badInput(e).<RuntimeException>map(bad -> bad).orElse(e);
    }
  }
}
