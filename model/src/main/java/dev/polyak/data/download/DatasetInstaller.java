package dev.polyak.data.download;

import dev.polyak.io.FileTrees;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a verified archive's contents in place: extracts into a hidden staging folder under the
 * target, checks the expected files are there, then renames the dataset folder into place. On any
 * failure the staging folder is removed, so nothing half-extracted is left behind.
 */
final class DatasetInstaller {

  private static final Logger LOG = LoggerFactory.getLogger(DatasetInstaller.class);

  private DatasetInstaller() {}

  /** True when every expected file of {@code entry} is a regular file under {@code targetDir}. */
  static boolean isComplete(DatasetCatalog.Entry entry, Path targetDir) {
    return entry.expectedPaths(targetDir).stream()
        .allMatch(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
  }

  /** Extracts {@code archive} and installs {@code entry.extractedDir()} under {@code targetDir}. */
  static Path install(Path archive, DatasetCatalog.Entry entry, Path targetDir) throws IOException {
    Path staging = Files.createTempDirectory(targetDir, ".extract-" + entry.name() + "-");
    try {
      ArchiveExtractor.extract(archive, entry.archiveType(), staging);
      Path extracted = entry.datasetDir(staging);
      List<String> missing =
          entry.expectedFiles().stream()
              .filter(f -> !Files.isRegularFile(extracted.resolve(f), LinkOption.NOFOLLOW_LINKS))
              .collect(Collectors.toList());
      if (!missing.isEmpty()) {
        throw new DownloadException(
            DownloadException.Kind.BAD_ARCHIVE,
            "archive "
                + archive
                + " does not contain the expected files of dataset "
                + entry.name()
                + " under '"
                + entry.extractedDir()
                + "/': missing "
                + missing);
      }
      Path finalDir = entry.datasetDir(targetDir);
      if (Files.exists(finalDir, LinkOption.NOFOLLOW_LINKS)) {
        LOG.info("Replacing existing {}", finalDir);
        Path previous = staging.resolve(".previous");
        move(finalDir, previous);
        try {
          move(extracted, finalDir);
        } catch (IOException e) {
          move(previous, finalDir);
          throw e;
        }
      } else {
        move(extracted, finalDir);
      }
      LOG.info("Installed dataset {} into {}", entry.name(), finalDir);
      return finalDir;
    } finally {
      try {
        FileTrees.deleteRecursively(staging);
      } catch (IOException e) {
        LOG.warn("Could not remove staging folder {}: {}", staging, e.toString());
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      // Same parent file system, so this should not happen; fall back to a plain rename.
      LOG.debug("Atomic move of {} not supported, using plain move", from);
      Files.move(from, to);
    }
  }
}
