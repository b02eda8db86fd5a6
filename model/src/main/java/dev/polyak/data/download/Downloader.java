package dev.polyak.data.download;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a catalog dataset into a target folder: a resumable fetch into {@code
 * <target>/.<archive>.part}, size and checksum verification, then a safe extraction that renames
 * the dataset folder into place. Only the entry's URL (or its override) is contacted.
 */
public final class Downloader {

  private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final RangeFetcher fetcher;

  /** A downloader using an HTTP/1.1 client that follows same-or-stronger-security redirects. */
  public Downloader() {
    this(
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(CONNECT_TIMEOUT)
            .build());
  }

  /** A downloader using the given client (tests, proxies). */
  public Downloader(HttpClient client) {
    this(client, IDLE_TIMEOUT);
  }

  /**
   * A downloader using the given client that abandons a transfer (keeping the partial file) when no
   * data arrives for {@code idleTimeout}.
   */
  public Downloader(HttpClient client, Duration idleTimeout) {
    this.fetcher =
        new RangeFetcher(Objects.requireNonNull(client, "client"), REQUEST_TIMEOUT, idleTimeout);
  }

  /** The partial-download file used for {@code entry} under {@code targetDir}. */
  public static Path partFile(DatasetCatalog.Entry entry, Path targetDir) {
    return targetDir.resolve("." + entry.archiveFileName() + ".part");
  }

  /**
   * Makes {@code entry}'s files present under {@code targetDir}.
   *
   * @return where the dataset is and whether it had to be downloaded
   * @throws DownloadException on HTTP, network, verification or archive problems
   * @throws IOException on local file-system problems
   */
  public DownloadResult download(
      DatasetCatalog.Entry entry, Path targetDir, DownloadOptions options) throws IOException {
    Path datasetDir = entry.datasetDir(targetDir);
    if (!options.force() && DatasetInstaller.isComplete(entry, targetDir)) {
      LOG.info(
          "Dataset {} is already complete in {}; skipping (use force to re-download)",
          entry.name(),
          datasetDir);
      return new DownloadResult(
          datasetDir, DownloadResult.Outcome.ALREADY_PRESENT, Optional.empty());
    }
    URI url = options.effectiveUrl(entry);
    OptionalLong size = options.effectiveSize(entry);
    Optional<Checksum> checksum = options.effectiveChecksum(entry);
    Files.createDirectories(targetDir);
    Path part = partFile(entry, targetDir);

    LOG.info("Downloading {} from {} to {}", entry.name(), url, part);
    fetcher.fetch(url, part, size, options.listener());
    String sha256 = verify(url, part, size, checksum, options.allowUnverified());

    try {
      DatasetInstaller.install(part, entry, targetDir);
    } catch (DownloadException e) {
      // The archive itself is unusable: keeping it would only make the next run fail again.
      Files.deleteIfExists(part);
      throw e;
    }
    Files.deleteIfExists(part);
    return new DownloadResult(datasetDir, DownloadResult.Outcome.DOWNLOADED, Optional.of(sha256));
  }

  /** Checks size and checksum; returns the archive's SHA-256. Deletes the file on mismatch. */
  private static String verify(
      URI url, Path part, OptionalLong size, Optional<Checksum> checksum, boolean allowUnverified)
      throws IOException {
    long actualSize = Files.size(part);
    if (size.isPresent() && actualSize != size.getAsLong()) {
      Files.deleteIfExists(part);
      throw new DownloadException(
          DownloadException.Kind.SIZE_MISMATCH,
          "size mismatch for "
              + url
              + ": expected "
              + size.getAsLong()
              + " bytes, got "
              + actualSize
              + " bytes; deleted "
              + part);
    }
    Set<ChecksumAlgorithm> algorithms = EnumSet.of(ChecksumAlgorithm.SHA256);
    checksum.ifPresent(c -> algorithms.add(c.algorithm()));
    Map<ChecksumAlgorithm, String> digests = FileDigests.compute(part, algorithms);
    String sha256 = digests.get(ChecksumAlgorithm.SHA256);
    if (checksum.isPresent()) {
      Checksum expected = checksum.get();
      Checksum actual = new Checksum(expected.algorithm(), digests.get(expected.algorithm()));
      if (!expected.equals(actual)) {
        Files.deleteIfExists(part);
        throw new DownloadException(
            DownloadException.Kind.CHECKSUM_MISMATCH,
            "checksum mismatch for "
                + url
                + ": expected "
                + expected
                + ", got "
                + actual
                + "; deleted "
                + part);
      }
      LOG.info("Verified {} ({} bytes, {})", url, actualSize, expected);
      return sha256;
    }
    if (!allowUnverified) {
      LOG.warn("No checksum known for {}; downloaded archive {} has sha256 {}", url, part, sha256);
      throw new DownloadException(
          DownloadException.Kind.UNVERIFIED,
          "no checksum is known for "
              + url
              + "; the downloaded archive "
              + part
              + " has sha256 "
              + sha256
              + ". Check it against a trusted source and"
              + " re-run with --sha256 "
              + sha256
              + " (or allow unverified downloads)");
    }
    LOG.warn("Accepting unverified archive from {} with sha256 {}", url, sha256);
    return sha256;
  }
}
