package dev.polyak.data.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.data.download.TestArchives.TarItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveExtractorTest {

  @TempDir Path tmp;

  @Test
  void extractsTarGzInOfficialLayout() throws IOException {
    Map<String, byte[]> files = TestArchives.cifar10Files();
    Path dest = extractTarGz(TestArchives.tarGz(files));

    DownloaderTest.assertFilesEqual(dest, files);
  }

  @Test
  void refusesTarEntryWithDotDot() throws IOException {
    List<TarItem> items = cifarItems();
    items.add(TarItem.file("cifar-10-batches-bin/../../evil.txt", "pwned".getBytes()));

    assertUnsafe(TestArchives.tarGz(items), "cifar-10-batches-bin/../../evil.txt", "'..'");
    assertThat(tmp.resolve("evil.txt")).doesNotExist();
  }

  @Test
  void refusesAbsoluteTarEntry() throws IOException {
    Path outside = tmp.resolve("outside.txt").toAbsolutePath();
    List<TarItem> items = cifarItems();
    items.add(TarItem.absoluteFile(outside.toString(), "pwned".getBytes()));

    assertUnsafe(TestArchives.tarGz(items), outside.toString(), "absolute");
    assertThat(outside).doesNotExist();
  }

  @Test
  void refusesSymlinkPointingOutside() throws IOException {
    List<TarItem> items = cifarItems();
    items.add(TarItem.symlink("cifar-10-batches-bin/escape", "../../.."));
    items.add(TarItem.file("cifar-10-batches-bin/escape/evil.txt", "pwned".getBytes()));

    assertUnsafe(TestArchives.tarGz(items), "cifar-10-batches-bin/escape", "outside");
    assertThat(tmp.resolve("evil.txt")).doesNotExist();
  }

  @Test
  void refusesAbsoluteSymlink() throws IOException {
    List<TarItem> items = cifarItems();
    items.add(TarItem.symlink("cifar-10-batches-bin/passwd", "/etc/passwd"));

    assertUnsafe(TestArchives.tarGz(items), "cifar-10-batches-bin/passwd", "outside");
  }

  @Test
  void refusesEvenInternalSymlinks() throws IOException {
    List<TarItem> items = cifarItems();
    items.add(TarItem.symlink("cifar-10-batches-bin/alias.bin", "test_batch.bin"));

    assertUnsafe(TestArchives.tarGz(items), "cifar-10-batches-bin/alias.bin", "not supported");
  }

  @Test
  void refusesZipEntryWithBackslashDotDot() throws IOException {
    Map<String, byte[]> files = TestArchives.wikitext2Files();
    files.put("wikitext-2\\..\\..\\evil.txt", "pwned".getBytes());
    Path archive = tmp.resolve("a.zip");
    Files.write(archive, TestArchives.zip(files));
    Path dest = Files.createDirectories(tmp.resolve("dest"));

    assertThatThrownBy(() -> ArchiveExtractor.extract(archive, ArchiveType.ZIP, dest))
        .isInstanceOfSatisfying(
            DownloadException.class,
            e -> assertThat(e.kind()).isEqualTo(DownloadException.Kind.UNSAFE_ENTRY))
        .hasMessageContaining("evil.txt");
    assertThat(tmp.resolve("evil.txt")).doesNotExist();
  }

  @Test
  void corruptGzipIsABadArchive() throws IOException {
    byte[] archive = TestArchives.tarGz(TestArchives.cifar10Files());
    byte[] truncated = Arrays.copyOf(archive, archive.length / 2);
    Path file = tmp.resolve("a.tar.gz");
    Files.write(file, truncated);
    Path dest = Files.createDirectories(tmp.resolve("dest"));

    assertThatThrownBy(() -> ArchiveExtractor.extract(file, ArchiveType.TAR_GZ, dest))
        .isInstanceOfSatisfying(
            DownloadException.class,
            e -> assertThat(e.kind()).isEqualTo(DownloadException.Kind.BAD_ARCHIVE))
        .hasMessageContaining(file.toString());
  }

  private static List<TarItem> cifarItems() {
    List<TarItem> items = new ArrayList<>();
    TestArchives.cifar10Files().forEach((name, bytes) -> items.add(TarItem.file(name, bytes)));
    return items;
  }

  private Path extractTarGz(byte[] bytes) throws IOException {
    Path archive = tmp.resolve("a.tar.gz");
    Files.write(archive, bytes);
    Path dest = Files.createDirectories(tmp.resolve("nested/dest"));
    ArchiveExtractor.extract(archive, ArchiveType.TAR_GZ, dest);
    return dest;
  }

  private void assertUnsafe(byte[] tarGz, String entryName, String reason) throws IOException {
    assertThatThrownBy(() -> extractTarGz(tarGz))
        .isInstanceOfSatisfying(
            DownloadException.class,
            e -> assertThat(e.kind()).isEqualTo(DownloadException.Kind.UNSAFE_ENTRY))
        .hasMessageContaining("'" + entryName + "'")
        .hasMessageContaining(reason);
    // Only the archive and the destination's own (possibly partly filled) tree may exist.
    assertThat(DownloaderTest.listTree(tmp))
        .allMatch(p -> p.equals("a.tar.gz") || p.equals("nested") || p.startsWith("nested/dest"));
  }
}
