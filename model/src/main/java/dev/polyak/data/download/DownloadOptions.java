package dev.polyak.data.download;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How one download should deviate from the catalog entry.
 *
 * <p>A checksum override replaces the catalog's checksum; because the catalog size describes the
 * catalog's archive, the size is then not enforced unless {@code sizeOverride} is given too.
 *
 * @param urlOverride fetch from this URL instead of the catalog URL (e.g. a mirror)
 * @param checksumOverride expect this checksum instead of the catalog's (the CLI's {@code
 *     --sha256})
 * @param sizeOverride expect this size instead of the catalog's
 * @param force download and extract again even if the dataset is already complete
 * @param allowUnverified accept an archive when no checksum is known at all
 * @param listener receives byte progress
 */
public record DownloadOptions(
    Optional<URI> urlOverride,
    Optional<Checksum> checksumOverride,
    OptionalLong sizeOverride,
    boolean force,
    boolean allowUnverified,
    ProgressListener listener) {

  public DownloadOptions {
    Objects.requireNonNull(urlOverride, "urlOverride");
    Objects.requireNonNull(checksumOverride, "checksumOverride");
    Objects.requireNonNull(sizeOverride, "sizeOverride");
    Objects.requireNonNull(listener, "listener");
  }

  /** No overrides, no force, verification required, no progress reporting. */
  public static DownloadOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The URL to fetch for {@code entry}. */
  URI effectiveUrl(DatasetCatalog.Entry entry) {
    return urlOverride.orElse(entry.url());
  }

  /** The checksum to verify for {@code entry}, if any. */
  Optional<Checksum> effectiveChecksum(DatasetCatalog.Entry entry) {
    return checksumOverride.isPresent() ? checksumOverride : entry.checksum();
  }

  /** The size to enforce for {@code entry}, if any (see the class comment). */
  OptionalLong effectiveSize(DatasetCatalog.Entry entry) {
    if (sizeOverride.isPresent()) {
      return sizeOverride;
    }
    return checksumOverride.isPresent() ? OptionalLong.empty() : entry.sizeBytes();
  }

  /** Mutable builder for {@link DownloadOptions}. */
  public static final class Builder {
    private Optional<URI> urlOverride = Optional.empty();
    private Optional<Checksum> checksumOverride = Optional.empty();
    private OptionalLong sizeOverride = OptionalLong.empty();
    private boolean force;
    private boolean allowUnverified;
    private ProgressListener listener = ProgressListener.NONE;

    private Builder() {}

    public Builder url(URI url) {
      this.urlOverride = Optional.of(url);
      return this;
    }

    public Builder checksum(Checksum checksum) {
      this.checksumOverride = Optional.of(checksum);
      return this;
    }

    /** Shorthand for {@code checksum(Checksum.sha256(hex))}. */
    public Builder sha256(String hex) {
      return checksum(Checksum.sha256(hex));
    }

    public Builder size(long bytes) {
      this.sizeOverride = OptionalLong.of(bytes);
      return this;
    }

    public Builder force(boolean force) {
      this.force = force;
      return this;
    }

    public Builder allowUnverified(boolean allowUnverified) {
      this.allowUnverified = allowUnverified;
      return this;
    }

    public Builder listener(ProgressListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public DownloadOptions build() {
      return new DownloadOptions(
          urlOverride, checksumOverride, sizeOverride, force, allowUnverified, listener);
    }
  }
}
