package dev.polyak.data.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class DatasetCatalogTest {

  @Test
  void listsTheSixDatasets() {
    assertThat(DatasetCatalog.all())
        .extracting(DatasetCatalog.Entry::name)
        .containsExactly(
            "wikitext-2",
            "wikitext-2-raw",
            "wikitext-103",
            "wikitext-103-raw",
            "cifar-10",
            "cifar-100");
  }

  @Test
  void everyEntryHasHttpsUrlSizeAndSha256() {
    for (DatasetCatalog.Entry entry : DatasetCatalog.all()) {
      assertThat(entry.url().getScheme()).as(entry.name()).isEqualTo("https");
      assertThat(entry.url().getPath()).as(entry.name()).endsWith("/" + entry.archiveFileName());
      assertThat(entry.sizeBytes()).as(entry.name()).isPresent();
      assertThat(entry.checksum()).as(entry.name()).isPresent();
      assertThat(entry.checksum().get().algorithm()).isEqualTo(ChecksumAlgorithm.SHA256);
    }
  }

  @Test
  void pinsPublishedValues() {
    DatasetCatalog.Entry cifar10 = DatasetCatalog.require("cifar-10");
    assertThat(cifar10.url())
        .hasToString("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    assertThat(cifar10.sizeBytes()).isEqualTo(OptionalLong.of(170_052_171L));
    assertThat(cifar10.checksum())
        .contains(
            Checksum.sha256("c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"));
    assertThat(cifar10.archiveType()).isEqualTo(ArchiveType.TAR_GZ);

    DatasetCatalog.Entry wikitext2 = DatasetCatalog.require("wikitext-2");
    assertThat(wikitext2.archiveFileName()).isEqualTo("wikitext-2-v1.zip");
    assertThat(wikitext2.sizeBytes()).isEqualTo(OptionalLong.of(4_475_746L));
    assertThat(wikitext2.archiveType()).isEqualTo(ArchiveType.ZIP);
  }

  @Test
  void describesExtractedLayouts() {
    Path root = Path.of("/data");
    assertThat(DatasetCatalog.require("wikitext-2").expectedPaths(root))
        .containsExactly(
            root.resolve("wikitext-2/wiki.train.tokens"),
            root.resolve("wikitext-2/wiki.valid.tokens"),
            root.resolve("wikitext-2/wiki.test.tokens"));
    assertThat(DatasetCatalog.require("wikitext-103-raw").expectedFiles())
        .containsExactly("wiki.train.raw", "wiki.valid.raw", "wiki.test.raw");
    assertThat(DatasetCatalog.require("cifar-10").extractedDir()).isEqualTo("cifar-10-batches-bin");
    assertThat(DatasetCatalog.require("cifar-10").expectedFiles())
        .containsExactlyInAnyOrder(
            "data_batch_1.bin",
            "data_batch_2.bin",
            "data_batch_3.bin",
            "data_batch_4.bin",
            "data_batch_5.bin",
            "test_batch.bin",
            "batches.meta.txt");
    assertThat(DatasetCatalog.require("cifar-100").extractedDir()).isEqualTo("cifar-100-binary");
    assertThat(DatasetCatalog.require("cifar-100").expectedFiles())
        .containsExactlyInAnyOrder(
            "train.bin", "test.bin", "coarse_label_names.txt", "fine_label_names.txt");
  }

  @Test
  void unknownNameListsKnownOnes() {
    assertThatThrownBy(() -> DatasetCatalog.require("mnist"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mnist")
        .hasMessageContaining("wikitext-2, wikitext-2-raw");
  }

  @Test
  void checksumRejectsMalformedHex() {
    assertThatThrownBy(() -> Checksum.sha256("abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("abc");
    assertThat(Checksum.md5("C32A1D4AB5D03F1284B67883E8D87530").hex())
        .isEqualTo("c32a1d4ab5d03f1284b67883e8d87530");
  }
}
