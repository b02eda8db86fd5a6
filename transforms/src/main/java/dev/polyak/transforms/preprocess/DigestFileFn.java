package dev.polyak.transforms.preprocess;

import dev.polyak.io.Digests;
import dev.polyak.schemas.FileDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.transforms.DoFn;

/** Hashes one input file (absolute path in, name relative to the input folder out). */
public final class DigestFileFn extends DoFn<String, FileDigest> {
  private final String inputFolder;

  public DigestFileFn(String inputFolder) {
    this.inputFolder = inputFolder;
  }

  @ProcessElement
  public void process(@Element String path, OutputReceiver<FileDigest> out) {
    Path file = Path.of(path);
    try {
      out.output(
          new FileDigest(
              Path.of(inputFolder).relativize(file).toString(),
              Files.size(file),
              Digests.sha256Hex(file)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
  }
}
