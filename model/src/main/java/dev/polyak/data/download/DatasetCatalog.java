package dev.polyak.data.download;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * The datasets polyak knows how to fetch (WikiText, CIFAR-10, CIFAR-100): where each archive lives,
 * how big it is, its published checksum and the files it unpacks to.
 *
 * <p>Where the URLs, sizes and checksums come from, and how they were cross-checked:
 * docs/design/data.md.
 */
public final class DatasetCatalog {

  private static final List<String> WIKI_TOKENS =
      List.of("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens");
  private static final List<String> WIKI_RAW =
      List.of("wiki.train.raw", "wiki.valid.raw", "wiki.test.raw");
  private static final String WIKITEXT_HOST = "https://wikitext.smerity.com/";
  private static final String CIFAR_HOST = "https://www.cs.toronto.edu/~kriz/";

  private static final List<Entry> ENTRIES =
      List.of(
          // HF datasets dataset_infos.json: num_bytes 4475746, sha256 below.
          wikitext(
              "wikitext-2",
              "wikitext-2-v1.zip",
              4_475_746L,
              "92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c",
              "wikitext-2",
              WIKI_TOKENS),
          // HF datasets dataset_infos.json: num_bytes 4721645, sha256 below.
          wikitext(
              "wikitext-2-raw",
              "wikitext-2-raw-v1.zip",
              4_721_645L,
              "ef7edb566e3e2b2d31b29c1fdb0c89a4cc683597484c3dc2517919c615435a11",
              "wikitext-2-raw",
              WIKI_RAW),
          // HF datasets dataset_infos.json: num_bytes 190229076, sha256 below.
          wikitext(
              "wikitext-103",
              "wikitext-103-v1.zip",
              190_229_076L,
              "242ba0f20b329cfdf1ccc61e9e9e5b59becf189db7f7a81cd2a0e2fc31539590",
              "wikitext-103",
              WIKI_TOKENS),
          // HF datasets dataset_infos.json: num_bytes 191984949, sha256 below.
          wikitext(
              "wikitext-103-raw",
              "wikitext-103-raw-v1.zip",
              191_984_949L,
              "91c00ae287f0d699e18605c84afc9e45c192bc6b7797ff8837e5474655a33794",
              "wikitext-103-raw",
              WIKI_RAW),
          // tensorflow_datasets/url_checksums/cifar10.txt: 170052171 bytes, sha256 below.
          new Entry(
              "cifar-10",
              URI.create(CIFAR_HOST + "cifar-10-binary.tar.gz"),
              "cifar-10-binary.tar.gz",
              OptionalLong.of(170_052_171L),
              Optional.of(
                  Checksum.sha256(
                      "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")),
              ArchiveType.TAR_GZ,
              "cifar-10-batches-bin",
              List.of(
                  "data_batch_1.bin",
                  "data_batch_2.bin",
                  "data_batch_3.bin",
                  "data_batch_4.bin",
                  "data_batch_5.bin",
                  "test_batch.bin",
                  "batches.meta.txt")),
          // tensorflow_datasets/url_checksums/cifar100.txt: 168513733 bytes, sha256 below.
          new Entry(
              "cifar-100",
              URI.create(CIFAR_HOST + "cifar-100-binary.tar.gz"),
              "cifar-100-binary.tar.gz",
              OptionalLong.of(168_513_733L),
              Optional.of(
                  Checksum.sha256(
                      "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec")),
              ArchiveType.TAR_GZ,
              "cifar-100-binary",
              List.of("train.bin", "test.bin", "coarse_label_names.txt", "fine_label_names.txt")));

  private DatasetCatalog() {}

  /** All known datasets, in a stable order. */
  public static List<Entry> all() {
    return ENTRIES;
  }

  /** The dataset called {@code name}, if known. */
  public static Optional<Entry> find(String name) {
    return ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  /** The dataset called {@code name}; throws naming the known datasets if there is none. */
  public static Entry require(String name) {
    return find(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown dataset '" + name + "'; known datasets: " + names()));
  }

  /** Names of all known datasets, comma separated. */
  public static String names() {
    return ENTRIES.stream().map(Entry::name).collect(Collectors.joining(", "));
  }

  private static Entry wikitext(
      String name, String archive, long size, String sha256, String dir, List<String> files) {
    return new Entry(
        name,
        URI.create(WIKITEXT_HOST + archive),
        archive,
        OptionalLong.of(size),
        Optional.of(Checksum.sha256(sha256)),
        ArchiveType.ZIP,
        dir,
        files);
  }

  /**
   * One downloadable dataset.
   *
   * @param name short name used on the command line, e.g. {@code wikitext-2}
   * @param url where the archive is published
   * @param archiveFileName the archive's file name, e.g. {@code wikitext-2-v1.zip}
   * @param sizeBytes the archive's size in bytes, empty when unknown
   * @param checksum the archive's published checksum, empty when unknown
   * @param archiveType zip or tar.gz
   * @param extractedDir the single top-level folder the archive unpacks to
   * @param expectedFiles files inside {@code extractedDir} that make the dataset complete
   */
  public record Entry(
      String name,
      URI url,
      String archiveFileName,
      OptionalLong sizeBytes,
      Optional<Checksum> checksum,
      ArchiveType archiveType,
      String extractedDir,
      List<String> expectedFiles) {

    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(sizeBytes, "sizeBytes");
      Objects.requireNonNull(checksum, "checksum");
      Objects.requireNonNull(archiveType, "archiveType");
      requireSimpleName(archiveFileName, "archiveFileName");
      requireSimpleName(extractedDir, "extractedDir");
      expectedFiles = List.copyOf(expectedFiles);
      if (expectedFiles.isEmpty()) {
        throw new IllegalArgumentException("dataset " + name + " lists no expected files");
      }
      expectedFiles.forEach(f -> requireSimpleName(f, "expectedFiles"));
      if (sizeBytes.isPresent() && sizeBytes.getAsLong() <= 0) {
        throw new IllegalArgumentException(
            "dataset " + name + " has non-positive size " + sizeBytes.getAsLong());
      }
    }

    /** The folder the dataset ends up in: {@code targetDir/extractedDir}. */
    public Path datasetDir(Path targetDir) {
      return targetDir.resolve(extractedDir);
    }

    /** Absolute locations of the expected files under {@code targetDir}. */
    public List<Path> expectedPaths(Path targetDir) {
      Path dir = datasetDir(targetDir);
      return expectedFiles.stream().map(dir::resolve).collect(Collectors.toUnmodifiableList());
    }

    /** A copy with a different source (used for mirrors and tests); the layout is kept. */
    public Entry withSource(URI newUrl, OptionalLong newSize, Optional<Checksum> newChecksum) {
      return new Entry(
          name,
          newUrl,
          archiveFileName,
          newSize,
          newChecksum,
          archiveType,
          extractedDir,
          expectedFiles);
    }

    private static void requireSimpleName(String value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isEmpty()
          || value.equals(".")
          || value.equals("..")
          || value.contains("/")
          || value.contains("\\")) {
        throw new IllegalArgumentException(what + " must be a plain file name: '" + value + "'");
      }
    }
  }
}
