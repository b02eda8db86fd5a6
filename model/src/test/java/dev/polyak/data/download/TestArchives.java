package dev.polyak.data.download;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds small archives in the official dataset layouts, and hostile variants of them. */
final class TestArchives {

  static final int CIFAR10_RECORD = 1 + 32 * 32 * 3;

  private TestArchives() {}

  /** One tar entry: a regular file, or a symbolic link when {@code linkTarget} is set. */
  record TarItem(String name, byte[] content, String linkTarget, boolean keepAbsolute) {
    static TarItem file(String name, byte[] content) {
      return new TarItem(name, content, null, false);
    }

    static TarItem absoluteFile(String name, byte[] content) {
      return new TarItem(name, content, null, true);
    }

    static TarItem symlink(String name, String target) {
      return new TarItem(name, new byte[0], target, false);
    }
  }

  /** wikitext-2/wiki.{train,valid,test}.tokens with a little text each. */
  static Map<String, byte[]> wikitext2Files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String split : List.of("train", "valid", "test")) {
      files.put(
          "wikitext-2/wiki." + split + ".tokens",
          (" = Heading = \n The " + split + " split of a tiny test corpus . \n")
              .getBytes(StandardCharsets.UTF_8));
    }
    return files;
  }

  /** cifar-10-batches-bin/ with a few random 3073-byte records per batch and the label names. */
  static Map<String, byte[]> cifar10Files() {
    Random random = new Random(42);
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String batch :
        List.of(
            "data_batch_1",
            "data_batch_2",
            "data_batch_3",
            "data_batch_4",
            "data_batch_5",
            "test_batch")) {
      byte[] records = new byte[3 * CIFAR10_RECORD];
      random.nextBytes(records);
      for (int r = 0; r < 3; r++) {
        records[r * CIFAR10_RECORD] = (byte) random.nextInt(10);
      }
      files.put("cifar-10-batches-bin/" + batch + ".bin", records);
    }
    files.put(
        "cifar-10-batches-bin/batches.meta.txt",
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
            .getBytes(StandardCharsets.US_ASCII));
    return files;
  }

  /** A zip holding {@code files} in iteration order, with directory entries for their folders. */
  static byte[] zip(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      Set<String> dirs = new HashSet<>();
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        String name = file.getKey();
        int slash = name.indexOf('/');
        if (slash > 0 && !name.startsWith("..") && dirs.add(name.substring(0, slash + 1))) {
          zip.putNextEntry(new ZipEntry(name.substring(0, slash + 1)));
          zip.closeEntry();
        }
        zip.putNextEntry(new ZipEntry(name));
        zip.write(file.getValue());
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A gzip-compressed tar of {@code files} (regular files, in iteration order). */
  static byte[] tarGz(Map<String, byte[]> files) throws IOException {
    return tarGz(
        files.entrySet().stream().map(e -> TarItem.file(e.getKey(), e.getValue())).toList());
  }

  /** A gzip-compressed tar of {@code items}. */
  static byte[] tarGz(List<TarItem> items) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (TarItem item : items) {
        TarArchiveEntry entry;
        if (item.linkTarget() != null) {
          entry = new TarArchiveEntry(item.name(), TarConstants.LF_SYMLINK);
          entry.setLinkName(item.linkTarget());
        } else {
          entry = new TarArchiveEntry(item.name(), item.keepAbsolute());
          entry.setSize(item.content().length);
        }
        tar.putArchiveEntry(entry);
        tar.write(item.content());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** Hex digest computed independently of the code under test. */
  static String digest(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static String sha256(byte[] data) {
    return digest("SHA-256", data);
  }
}
