package dev.polyak.data.download;

import java.nio.file.Path;

/** Maps archive entry names to paths, refusing any name that could leave the extraction root. */
final class SafeEntryPaths {

  private SafeEntryPaths() {}

  /**
   * Resolves {@code entryName} inside {@code root}.
   *
   * @throws DownloadException of kind {@link DownloadException.Kind#UNSAFE_ENTRY} if the name is
   *     absolute, has a drive letter, contains a {@code ..} segment or a NUL, or otherwise resolves
   *     outside {@code root}
   */
  static Path resolve(Path root, String entryName, Path archive) throws DownloadException {
    String name = entryName.replace('\\', '/');
    if (name.isEmpty() || name.indexOf('\0') >= 0) {
      throw unsafe(archive, entryName, "has an empty or NUL-containing name");
    }
    if (name.startsWith("/") || (name.length() >= 2 && name.charAt(1) == ':')) {
      throw unsafe(archive, entryName, "is an absolute path");
    }
    for (String segment : name.split("/")) {
      if (segment.equals("..")) {
        throw unsafe(archive, entryName, "contains a '..' segment");
      }
    }
    Path normalRoot = root.toAbsolutePath().normalize();
    Path resolved = normalRoot.resolve(name).normalize();
    if (!resolved.startsWith(normalRoot)) {
      throw unsafe(archive, entryName, "resolves outside the extraction folder");
    }
    return resolved;
  }

  static DownloadException unsafe(Path archive, String entryName, String problem) {
    return new DownloadException(
        DownloadException.Kind.UNSAFE_ENTRY,
        "refusing archive entry '"
            + entryName
            + "' in "
            + archive
            + ": it "
            + problem
            + "; nothing was extracted");
  }
}
