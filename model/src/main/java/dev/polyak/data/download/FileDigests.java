package dev.polyak.data.download;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/** Computes file digests, several algorithms in one read. */
final class FileDigests {

  private static final int BUFFER = 1 << 16;

  private FileDigests() {}

  /** Lowercase hex digests of {@code file} for each of {@code algorithms}. */
  static Map<ChecksumAlgorithm, String> compute(Path file, Set<ChecksumAlgorithm> algorithms)
      throws IOException {
    Map<ChecksumAlgorithm, MessageDigest> digests = new EnumMap<>(ChecksumAlgorithm.class);
    for (ChecksumAlgorithm algorithm : algorithms) {
      digests.put(algorithm, newDigest(algorithm));
    }
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        for (MessageDigest digest : digests.values()) {
          digest.update(buffer, 0, n);
        }
      }
    }
    Map<ChecksumAlgorithm, String> hex = new EnumMap<>(ChecksumAlgorithm.class);
    digests.forEach(
        (algorithm, digest) -> hex.put(algorithm, HexFormat.of().formatHex(digest.digest())));
    return Map.copyOf(hex);
  }

  private static MessageDigest newDigest(ChecksumAlgorithm algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.jcaName());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JRE lacks required digest " + algorithm.jcaName(), e);
    }
  }
}
