package dev.polyak.data.download;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks a zip or tar.gz archive into a folder, refusing entries that would land outside it
 * (absolute names, {@code ..} segments) and refusing links altogether, so that nothing can be
 * written through one. The caller owns the destination and cleans it up on failure.
 */
final class ArchiveExtractor {

  private static final Logger LOG = LoggerFactory.getLogger(ArchiveExtractor.class);

  private ArchiveExtractor() {}

  /** Extracts {@code archive} into the existing folder {@code destination}. */
  static void extract(Path archive, ArchiveType type, Path destination) throws DownloadException {
    try {
      switch (type) {
        case ZIP -> extractZip(archive, destination);
        case TAR_GZ -> extractTarGz(archive, destination);
        default -> throw new IllegalArgumentException("unsupported archive type " + type);
      }
    } catch (DownloadException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new DownloadException(
          DownloadException.Kind.BAD_ARCHIVE,
          "cannot extract " + type + " archive " + archive + ": " + e.getMessage(),
          e);
    }
  }

  private static void extractZip(Path archive, Path destination) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
        String name = entry.getName();
        Path target = SafeEntryPaths.resolve(destination, name, archive);
        if (entry.isUnixSymlink()) {
          String linkTarget = zip.getUnixSymlink(entry);
          throw refuseLink(archive, destination, name, target.getParent(), linkTarget);
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
          continue;
        }
        if (!zip.canReadEntryData(entry)) {
          throw new DownloadException(
              DownloadException.Kind.BAD_ARCHIVE,
              "cannot read entry '"
                  + name
                  + "' of "
                  + archive
                  + " (unsupported compression method or encryption)");
        }
        try (InputStream in = zip.getInputStream(entry)) {
          writeFile(in, target);
        }
      }
    }
  }

  private static void extractTarGz(Path archive, Path destination) throws IOException {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
        InputStream gunzip = new GzipCompressorInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(gunzip)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        String name = entry.getName();
        Path target = SafeEntryPaths.resolve(destination, name, archive);
        if (entry.isSymbolicLink() || entry.isLink()) {
          // Symlink targets are relative to the link's folder, hard links to the root.
          Path base =
              entry.isLink() ? destination.toAbsolutePath().normalize() : target.getParent();
          throw refuseLink(archive, destination, name, base, entry.getLinkName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isFile()) {
          writeFile(tar, target);
        } else {
          LOG.warn("Skipping special tar entry '{}' in {}", name, archive);
        }
      }
    }
  }

  private static void writeFile(InputStream in, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    try (OutputStream out =
        Files.newOutputStream(
            target,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      in.transferTo(out);
    }
  }

  private static DownloadException refuseLink(
      Path archive, Path destination, String name, Path linkBase, String linkTarget) {
    String link = linkTarget == null ? "" : linkTarget.replace('\\', '/');
    Path root = destination.toAbsolutePath().normalize();
    boolean escapes =
        link.startsWith("/")
            || (link.length() >= 2 && link.charAt(1) == ':')
            || !linkBase.resolve(link).normalize().startsWith(root);
    return SafeEntryPaths.unsafe(
        archive,
        name,
        escapes
            ? "is a link to '" + linkTarget + "', which points outside the extraction folder"
            : "is a link to '" + linkTarget + "'; links are not supported in dataset archives");
  }
}
