package dev.polyak.transforms.preprocess;

import dev.polyak.schemas.FileDigest;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/** Hashes the input files in parallel, for the manifest; a view of their digests. */
public final class DigestInputs
    extends PTransform<PCollection<String>, PCollectionView<List<FileDigest>>> {
  private final String inputFolder;

  public DigestInputs(Path inputFolder) {
    this.inputFolder = inputFolder.toAbsolutePath().toString();
  }

  @Override
  public PCollectionView<List<FileDigest>> expand(PCollection<String> paths) {
    return paths
        .apply("SpreadInputs", Reshuffle.viaRandomKey())
        .apply("HashInputs", ParDo.of(new DigestFileFn(inputFolder)))
        .setCoder(AvroCoder.of(FileDigest.class))
        .apply("ListInputs", View.asList());
  }
}
