package dev.polyak.data.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// A separate thread, because a read blocked inside HttpClient ignores the interrupt that the
// default same-thread timeout relies on.
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DownloaderTest {

  @TempDir Path tmp;

  private Path target;
  private TestHttpServer server;
  private final Downloader downloader = new Downloader();

  @BeforeEach
  void startServer() throws IOException {
    target = tmp.resolve("data");
    server = TestHttpServer.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void downloadsVerifiesAndExtractsWikitextZip() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    server.serve("/wikitext-2-v1.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/wikitext-2-v1.zip", archive);
    List<long[]> progress = new ArrayList<>();

    DownloadResult result =
        downloader.download(
            entry,
            target,
            DownloadOptions.builder()
                .listener((done, total) -> progress.add(new long[] {done, total}))
                .build());

    assertThat(result.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertThat(result.datasetDir()).isEqualTo(target.resolve("wikitext-2"));
    assertThat(result.archiveSha256()).contains(TestArchives.sha256(archive));
    assertFilesEqual(target, files);
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1)).containsExactly(archive.length, archive.length);
    assertThat(listTree(target))
        .containsExactlyInAnyOrder(
            "wikitext-2",
            "wikitext-2/wiki.train.tokens",
            "wikitext-2/wiki.valid.tokens",
            "wikitext-2/wiki.test.tokens");
    assertThat(server.requests())
        .extracting(TestHttpServer.Request::range)
        .containsExactly(Optional.empty());
  }

  @Test
  void downloadsCifar10TarGzVerifiedByMd5() throws IOException {
    Map<String, byte[]> files = TestArchives.cifar10Files();
    byte[] archive = TestArchives.tarGz(files);
    server.serve("/cifar-10-binary.tar.gz", archive);
    DatasetCatalog.Entry entry =
        DatasetCatalog.require("cifar-10")
            .withSource(
                server.uri("/cifar-10-binary.tar.gz"),
                OptionalLong.of(archive.length),
                Optional.of(Checksum.md5(TestArchives.digest("MD5", archive))));

    DownloadResult result = downloader.download(entry, target, DownloadOptions.defaults());

    assertThat(result.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertFilesEqual(target, files);
    assertThat(target.resolve("cifar-10-batches-bin/data_batch_1.bin"))
        .hasSize(3L * TestArchives.CIFAR10_RECORD);
    assertThat(listTree(target)).noneMatch(p -> p.startsWith("."));
  }

  @Test
  void resumesWithRangeRequestAfterConnectionIsCut() throws IOException {
    Map<String, byte[]> files = TestArchives.cifar10Files();
    byte[] archive = TestArchives.tarGz(files);
    int cut = archive.length / 3;
    server.serve("/c10.tgz", archive).cutNextResponseAfter("/c10.tgz", cut);
    DatasetCatalog.Entry entry = localEntry("cifar-10", "/c10.tgz", archive);
    Path part = Downloader.partFile(entry, target);

    DownloadException first =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(first).isNotNull();
    assertThat(first.kind()).isEqualTo(DownloadException.Kind.NETWORK);
    assertThat(first).hasMessageContaining(server.uri("/c10.tgz").toString());
    assertThat(part).hasSize(cut);
    assertThat(target.resolve("cifar-10-batches-bin")).doesNotExist();

    DownloadResult second = downloader.download(entry, target, DownloadOptions.defaults());

    assertThat(second.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertThat(server.requests())
        .extracting(TestHttpServer.Request::range)
        .containsExactly(Optional.empty(), Optional.of("bytes=" + cut + "-"));
    assertThat(second.archiveSha256()).contains(TestArchives.sha256(archive));
    assertFilesEqual(target, files);
    assertThat(part).doesNotExist();
  }

  @Test
  void stalledConnectionFailsAndIsResumedLater() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    int stall = archive.length / 2;
    server.serve("/w.zip", archive).stallNextResponseAfter("/w.zip", stall);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);
    Downloader impatient = new Downloader(HttpClient.newHttpClient(), Duration.ofMillis(500));

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> impatient.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.NETWORK);
    assertThat(e).hasMessageContaining("no data for");
    assertThat(Downloader.partFile(entry, target)).hasSize(stall);

    impatient.download(entry, target, DownloadOptions.defaults());

    assertThat(server.requests())
        .extracting(TestHttpServer.Request::range)
        .containsExactly(Optional.empty(), Optional.of("bytes=" + stall + "-"));
    assertFilesEqual(target, files);
  }

  @Test
  void restartsFromZeroWhenServerIgnoresRange() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive).ignoreRanges();
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);
    Files.createDirectories(target);
    // A stale partial file whose bytes do not match the archive: appending to it would corrupt.
    Files.write(Downloader.partFile(entry, target), new byte[] {1, 2, 3, 4, 5, 6, 7});

    DownloadResult result = downloader.download(entry, target, DownloadOptions.defaults());

    assertThat(server.requests())
        .extracting(TestHttpServer.Request::range)
        .containsExactly(Optional.of("bytes=7-"));
    assertThat(result.archiveSha256()).contains(TestArchives.sha256(archive));
    assertFilesEqual(target, files);
  }

  @Test
  void treatsRangeNotSatisfiableForACompletePartAsDone() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry catalog = DatasetCatalog.require("wikitext-2");
    Files.createDirectories(target);
    Files.write(Downloader.partFile(catalog, target), archive);

    // Checksum override without size: the downloader cannot know the part is complete.
    DownloadResult result =
        downloader.download(
            catalog,
            target,
            DownloadOptions.builder()
                .url(server.uri("/w.zip"))
                .sha256(TestArchives.sha256(archive))
                .build());

    assertThat(server.requests())
        .extracting(TestHttpServer.Request::range)
        .containsExactly(Optional.of("bytes=" + archive.length + "-"));
    assertThat(result.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertFilesEqual(target, files);
  }

  @Test
  void checksumMismatchDeletesPartAndExtractsNothing() throws IOException {
    byte[] archive = TestArchives.zip(TestArchives.wikitext2Files());
    server.serve("/w.zip", archive);
    String wrong = TestArchives.sha256("something else".getBytes());
    DatasetCatalog.Entry entry =
        DatasetCatalog.require("wikitext-2")
            .withSource(
                server.uri("/w.zip"),
                OptionalLong.of(archive.length),
                Optional.of(Checksum.sha256(wrong)));

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.CHECKSUM_MISMATCH);
    assertThat(e)
        .hasMessageContaining(server.uri("/w.zip").toString())
        .hasMessageContaining(wrong)
        .hasMessageContaining(TestArchives.sha256(archive));
    assertThat(Downloader.partFile(entry, target)).doesNotExist();
    assertThat(listTree(target)).isEmpty();
  }

  @Test
  void http404IsAClearError() {
    DatasetCatalog.Entry entry =
        DatasetCatalog.require("wikitext-2")
            .withSource(server.uri("/missing.zip"), OptionalLong.of(10), Optional.empty());

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.HTTP_STATUS);
    assertThat(e)
        .hasMessageContaining("404")
        .hasMessageContaining(server.uri("/missing.zip").toString());
    assertThat(Downloader.partFile(entry, target)).doesNotExist();
  }

  @ParameterizedTest(name = "claimed size off by {0} bytes")
  @ValueSource(longs = {100, -100})
  void aWrongSizeIsASizeMismatch(long offBy) throws IOException {
    byte[] archive = TestArchives.zip(TestArchives.wikitext2Files());
    server.serve("/w.zip", archive);
    long claimed = archive.length + offBy;
    DatasetCatalog.Entry entry =
        DatasetCatalog.require("wikitext-2")
            .withSource(
                server.uri("/w.zip"),
                OptionalLong.of(claimed),
                Optional.of(Checksum.sha256(TestArchives.sha256(archive))));

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.SIZE_MISMATCH);
    assertThat(e)
        .hasMessageContaining(server.uri("/w.zip").toString())
        .hasMessageContaining("expected " + claimed);
    if (offBy > 0) {
      assertThat(e).hasMessageContaining("got " + archive.length);
    }
    assertThat(listTree(target)).isEmpty();
  }

  @Test
  void skipsCompleteDatasetUnlessForced() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);
    downloader.download(entry, target, DownloadOptions.defaults());
    Path train = target.resolve("wikitext-2/wiki.train.tokens");
    Files.writeString(train, "locally modified");

    DownloadResult skipped = downloader.download(entry, target, DownloadOptions.defaults());

    assertThat(skipped.outcome()).isEqualTo(DownloadResult.Outcome.ALREADY_PRESENT);
    assertThat(server.requests()).hasSize(1);
    assertThat(train).hasContent("locally modified");

    DownloadResult forced =
        downloader.download(entry, target, DownloadOptions.builder().force(true).build());

    assertThat(forced.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertThat(server.requests()).hasSize(2);
    assertFilesEqual(target, files);
    assertThat(listTree(target)).hasSize(4);
  }

  @Test
  void incompleteDatasetIsDownloadedAgain() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);
    Files.createDirectories(target.resolve("wikitext-2"));
    Files.writeString(target.resolve("wikitext-2/wiki.train.tokens"), "partial");

    DownloadResult result = downloader.download(entry, target, DownloadOptions.defaults());

    assertThat(result.outcome()).isEqualTo(DownloadResult.Outcome.DOWNLOADED);
    assertFilesEqual(target, files);
  }

  @Test
  void unknownChecksumIsRefusedWithTheComputedSha256UnlessAllowed() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    byte[] archive = TestArchives.zip(files);
    String sha256 = TestArchives.sha256(archive);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry =
        DatasetCatalog.require("wikitext-2")
            .withSource(server.uri("/w.zip"), OptionalLong.of(archive.length), Optional.empty());

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.UNVERIFIED);
    assertThat(e).hasMessageContaining(sha256).hasMessageContaining("--sha256");
    assertThat(target.resolve("wikitext-2")).doesNotExist();
    assertThat(Downloader.partFile(entry, target)).hasSize(archive.length);

    DownloadResult result =
        downloader.download(entry, target, DownloadOptions.builder().allowUnverified(true).build());

    assertThat(result.archiveSha256()).contains(sha256);
    assertFilesEqual(target, files);
    // The kept part was complete, so the second call did not fetch again.
    assertThat(server.requests()).hasSize(1);
  }

  @Test
  void notAnArchiveIsABadArchive() throws IOException {
    byte[] garbage = "<html>not a zip</html>".getBytes();
    server.serve("/w.zip", garbage);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", garbage);

    DownloadException e =
        catchThrowableOfType(
            DownloadException.class,
            () -> downloader.download(entry, target, DownloadOptions.defaults()));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(DownloadException.Kind.BAD_ARCHIVE);
    assertThat(listTree(target)).isEmpty();
  }

  @Test
  void archiveWithoutTheExpectedFilesIsABadArchive() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    files.remove("wikitext-2/wiki.test.tokens");
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);

    assertThatThrownBy(() -> downloader.download(entry, target, DownloadOptions.defaults()))
        .isInstanceOfSatisfying(
            DownloadException.class,
            ex -> assertThat(ex.kind()).isEqualTo(DownloadException.Kind.BAD_ARCHIVE))
        .hasMessageContaining("wiki.test.tokens");
    assertThat(listTree(target)).isEmpty();
  }

  @Test
  void zipSlipEntryIsRefusedAndNothingIsLeft() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    files.put("../evil.txt", "pwned".getBytes());
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);

    assertThatThrownBy(() -> downloader.download(entry, target, DownloadOptions.defaults()))
        .isInstanceOfSatisfying(
            DownloadException.class,
            ex -> assertThat(ex.kind()).isEqualTo(DownloadException.Kind.UNSAFE_ENTRY))
        .hasMessageContaining("../evil.txt");
    assertThat(tmp.resolve("evil.txt")).doesNotExist();
    assertThat(listTree(tmp)).containsExactly("data");
  }

  @Test
  void absoluteZipEntryIsRefusedAndNothingIsLeft() throws IOException {
    Path outside = tmp.resolve("outside/abs.txt");
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    files.put(outside.toAbsolutePath().toString(), "pwned".getBytes());
    byte[] archive = TestArchives.zip(files);
    server.serve("/w.zip", archive);
    DatasetCatalog.Entry entry = localEntry("wikitext-2", "/w.zip", archive);

    assertThatThrownBy(() -> downloader.download(entry, target, DownloadOptions.defaults()))
        .isInstanceOfSatisfying(
            DownloadException.class,
            ex -> assertThat(ex.kind()).isEqualTo(DownloadException.Kind.UNSAFE_ENTRY))
        .hasMessageContaining(outside.toAbsolutePath().toString())
        .hasMessageContaining("absolute");
    assertThat(outside).doesNotExist();
    assertThat(listTree(tmp)).containsExactly("data");
  }

  private DatasetCatalog.Entry localEntry(String name, String path, byte[] archive) {
    return DatasetCatalog.require(name)
        .withSource(
            server.uri(path),
            OptionalLong.of(archive.length),
            Optional.of(Checksum.sha256(TestArchives.sha256(archive))));
  }

  static void assertFilesEqual(Path root, Map<String, byte[]> files) throws IOException {
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      assertThat(Files.readAllBytes(root.resolve(file.getKey())))
          .as(file.getKey())
          .isEqualTo(file.getValue());
    }
  }

  /** Every path under {@code root}, relative and with '/' separators; empty if root is missing. */
  static List<String> listTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> paths = Files.walk(root)) {
      return paths
          .filter(p -> !p.equals(root))
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .collect(Collectors.toList());
    }
  }
}
