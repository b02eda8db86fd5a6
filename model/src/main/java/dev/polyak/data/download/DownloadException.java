package dev.polyak.data.download;

import java.io.IOException;
import java.util.Objects;

/** A download, verification or extraction failure; the message names the URL or file involved. */
public final class DownloadException extends IOException {

  private static final long serialVersionUID = 1L;

  /** What went wrong, so callers (and tests) can react without parsing messages. */
  public enum Kind {
    /** The server answered with an unexpected HTTP status. */
    HTTP_STATUS,
    /** The connection failed or was cut; a partial file may be kept for resuming. */
    NETWORK,
    /** The downloaded archive has the wrong size. */
    SIZE_MISMATCH,
    /** The downloaded archive has the wrong checksum. */
    CHECKSUM_MISMATCH,
    /** No checksum is known and unverified downloads were not allowed. */
    UNVERIFIED,
    /** The archive is corrupt or does not contain the expected files. */
    BAD_ARCHIVE,
    /** An archive entry would be written outside the extraction folder. */
    UNSAFE_ENTRY
  }

  private final Kind kind;

  public DownloadException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public DownloadException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
