package dev.polyak.data.download;

/** Digest algorithms a published archive checksum may use. */
public enum ChecksumAlgorithm {
  SHA256("SHA-256", 64),
  MD5("MD5", 32);

  private final String jcaName;
  private final int hexLength;

  ChecksumAlgorithm(String jcaName, int hexLength) {
    this.jcaName = jcaName;
    this.hexLength = hexLength;
  }

  /** The name {@link java.security.MessageDigest#getInstance(String)} understands. */
  public String jcaName() {
    return jcaName;
  }

  /** Number of lowercase hex characters in a digest of this algorithm. */
  public int hexLength() {
    return hexLength;
  }
}
