package dev.polyak.data.download;

/** The container format of a dataset archive. */
public enum ArchiveType {
  /** A PKZIP archive ({@code .zip}). */
  ZIP,
  /** A gzip-compressed POSIX tar archive ({@code .tar.gz} / {@code .tgz}). */
  TAR_GZ
}
