package dev.polyak.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The real datasets of {@code shared/data} (WikiText-2, CIFAR samples). Found through the
 * environment variable {@code POLYAK_DATA_DIR} (which .ci/run sets), else at {@code ../shared/data}
 * beside the repository. Tests that need them are skipped, with a message, where they are absent.
 */
public final class SharedData {
  public static final String VARIABLE = "POLYAK_DATA_DIR";

  private SharedData() {}

  /** The data folder, or a skipped test. */
  public static Path dir() {
    Path dir = locate();
    Assumptions.assumeTrue(
        dir != null,
        "real data not found: set "
            + VARIABLE
            + " to the shared/data folder (WikiText-2, CIFAR samples)"
            + " to run this test");
    return dir;
  }

  /** A file of the data folder, or a skipped test. */
  public static Path file(String relative) {
    Path file = dir().resolve(relative);
    Assumptions.assumeTrue(Files.isRegularFile(file), "real data file missing: " + file);
    return file;
  }

  private static Path locate() {
    String fromEnv = System.getenv(VARIABLE);
    if (fromEnv != null && !fromEnv.isBlank()) {
      Path dir = Path.of(fromEnv);
      return Files.isDirectory(dir) ? dir : null;
    }
    String root = System.getProperty("maven.multiModuleProjectDirectory");
    Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
    for (Path p = base; p != null; p = p.getParent()) {
      Path candidate = p.resolve("../shared/data").normalize();
      if (Files.isDirectory(candidate.resolve("wikitext-2"))) {
        return candidate;
      }
      if (Files.exists(p.resolve(".git")) || Files.exists(p.resolve("polyak"))) {
        break;
      }
    }
    return null;
  }
}
