package dev.polyak.data.download;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Downloader#download} did.
 *
 * @param datasetDir the folder holding the dataset's files
 * @param outcome whether anything was downloaded
 * @param archiveSha256 the SHA-256 of the archive that was extracted; empty when skipped
 */
public record DownloadResult(Path datasetDir, Outcome outcome, Optional<String> archiveSha256) {

  /** Whether the dataset was fetched or was already there. */
  public enum Outcome {
    /** The archive was downloaded (or resumed), verified and extracted. */
    DOWNLOADED,
    /** All expected files were already present and {@code force} was not set. */
    ALREADY_PRESENT
  }

  public DownloadResult {
    Objects.requireNonNull(datasetDir, "datasetDir");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(archiveSha256, "archiveSha256");
  }
}
