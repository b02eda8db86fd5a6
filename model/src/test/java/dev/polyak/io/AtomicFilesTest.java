package dev.polyak.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written atomically replace the old content whole and are readable by other users, like any
 * new file.
 */
class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void replacesTheFileWholeAndLeavesItReadableByAll() throws Exception {
    Path file = dir.resolve("report.html");
    AtomicFiles.writeString(file, "old");
    AtomicFiles.writeString(file, "new");
    assertThat(file).hasContent("new");
    try (var entries = Files.list(dir)) {
      assertThat(entries).containsExactly(file); // no temporary file left behind
    }
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      // createTempFile alone gives rw------- (0600): a report nobody else on a shared file system
      // could read.
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-r--r--");
    }
  }
}
