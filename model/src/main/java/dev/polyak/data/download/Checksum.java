package dev.polyak.data.download;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An expected digest of a file: the algorithm and the lowercase hex value.
 *
 * @param algorithm the digest algorithm
 * @param hex the digest as lowercase hex (upper case input is normalised)
 */
public record Checksum(ChecksumAlgorithm algorithm, String hex) {

  private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

  public Checksum {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    hex = hex.trim().toLowerCase(Locale.ROOT);
    if (hex.length() != algorithm.hexLength() || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "not a "
              + algorithm
              + " digest (expected "
              + algorithm.hexLength()
              + " hex characters): '"
              + hex
              + "'");
    }
  }

  public static Checksum sha256(String hex) {
    return new Checksum(ChecksumAlgorithm.SHA256, hex);
  }

  public static Checksum md5(String hex) {
    return new Checksum(ChecksumAlgorithm.MD5, hex);
  }

  @Override
  public String toString() {
    return algorithm.name().toLowerCase(Locale.ROOT) + ":" + hex;
  }
}
