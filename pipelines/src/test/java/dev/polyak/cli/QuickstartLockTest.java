package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.FolderLock;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak quickstart} replaces {@code <dir>/sweep}: while another command holds that folder's
 * lock (a {@code polyak sweep --config <dir>/sweep.yaml}), it refuses before touching anything.
 */
class QuickstartLockTest {
  @TempDir Path dir;

  @Test
  void aQuickstartRefusesInOneLineWhileItsSweepFolderIsInUse() throws Exception {
    Path work = dir.resolve("qs");
    Path sweep = work.resolve("sweep");
    Path running = Files.createDirectories(sweep.resolve("runs/some-run"));
    Files.writeString(running.resolve("metrics.json"), "[]");
    try (FolderLock other = FolderLock.acquire(sweep, "polyak sweep --config qs/sweep.yaml")) {
      CliRun r = CliRun.of("quickstart", "--dir", work.toString());

      assertThat(r.code()).as(r.toString()).isEqualTo(2);
      assertThat(r.err().lines().filter(l -> !l.isBlank()).toList())
          .as(r.err())
          .singleElement()
          .asString()
          .contains(
              "sweep folder "
                  + sweep.toAbsolutePath()
                  + " is in use by "
                  + other.holder().describe()
                  + "; wait for it to end, or pass --wait");
      assertThat(running.resolve("metrics.json")).exists();
      assertThat(work.resolve("data")).doesNotExist();
      assertThat(other.lost()).isFalse();
    }
  }
}
