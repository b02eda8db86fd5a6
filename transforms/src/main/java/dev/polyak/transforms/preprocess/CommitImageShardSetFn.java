package dev.polyak.transforms.preprocess;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.manifest.ImageManifest;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ShardResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Last step: writes {@code manifest.json} and moves the CIFAR shard set into place, manifest last.
 */
public final class CommitImageShardSetFn extends DoFn<String, String> {
  private final CifarVariant variant;
  private final CifarConfig config;
  private final String tempFolder;
  private final String outFolder;
  private final boolean overwrite;
  private final PCollectionView<Map<String, ShardResult>> totalsView;
  private final PCollectionView<List<ShardResult>> shardsView;
  private final PCollectionView<List<FileDigest>> inputsView;

  public CommitImageShardSetFn(
      CifarVariant variant,
      CifarConfig config,
      String tempFolder,
      String outFolder,
      boolean overwrite,
      PCollectionView<Map<String, ShardResult>> totalsView,
      PCollectionView<List<ShardResult>> shardsView,
      PCollectionView<List<FileDigest>> inputsView) {
    this.variant = variant;
    this.config = config;
    this.tempFolder = tempFolder;
    this.outFolder = outFolder;
    this.overwrite = overwrite;
    this.totalsView = totalsView;
    this.shardsView = shardsView;
    this.inputsView = inputsView;
  }

  @ProcessElement
  public void process(ProcessContext context) {
    Map<String, Object> manifest =
        ImageManifest.build(
            variant,
            context.sideInput(inputsView),
            config,
            context.sideInput(totalsView),
            context.sideInput(shardsView));
    Path temp = Path.of(tempFolder);
    Manifests.write(temp.resolve(ShardSetCommitter.MANIFEST), manifest);
    ShardSetCommitter.commit(temp, Path.of(outFolder), overwrite);
    context.output(Path.of(outFolder).resolve(ShardSetCommitter.MANIFEST).toString());
  }
}
