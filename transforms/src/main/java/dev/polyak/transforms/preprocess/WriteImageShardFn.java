package dev.polyak.transforms.preprocess;

import dev.polyak.data.image.CifarShardWriter;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.ShardResult;
import java.nio.file.Path;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/** Writes one CIFAR shard into the temporary folder. */
public final class WriteImageShardFn extends DoFn<ImageShardTask, ShardResult> {
  private final Counter imagesWritten = Metrics.counter(WriteImageShardFn.class, "imagesWritten");
  private final CifarVariant variant;
  private final String tempFolder;

  public WriteImageShardFn(CifarVariant variant, String tempFolder) {
    this.variant = variant;
    this.tempFolder = tempFolder;
  }

  @ProcessElement
  public void process(@Element ImageShardTask task, OutputReceiver<ShardResult> out) {
    ShardResult result = new CifarShardWriter(variant).write(task, Path.of(tempFolder));
    imagesWritten.inc(result.getRows());
    out.output(result);
  }
}
