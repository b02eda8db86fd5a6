package dev.polyak.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the deploy module's files are: the module folder (the tests' working directory) and the
 * repository.
 */
final class DeployTree {
  private DeployTree() {}

  /** The deploy/ folder. Surefire runs the tests in the module's folder. */
  static Path deploy() {
    Path dir = Path.of("").toAbsolutePath();
    if (!Files.isRegularFile(dir.resolve("pom.xml")) || !Files.isDirectory(dir.resolve("flink"))) {
      throw new IllegalStateException(
          "the deploy tests must run in the deploy/ module folder, not " + dir);
    }
    return dir;
  }

  /** The repository root, deploy/'s parent. */
  static Path repository() {
    return deploy().getParent();
  }

  /** A path relative to the repository root, for messages: {@code deploy/flink/gpu/config.yaml}. */
  static String shown(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    return absolute.startsWith(repository())
        ? repository().relativize(absolute).toString()
        : absolute.toString();
  }

  /**
   * Every YAML file of the deployment (deploy/ without the module's build output and test sources).
   */
  static List<Path> yamlFiles() {
    Path deploy = deploy();
    try (Stream<Path> files = Files.walk(deploy)) {
      return files
          .filter(Files::isRegularFile)
          .filter(
              f -> !f.startsWith(deploy.resolve("target")) && !f.startsWith(deploy.resolve("src")))
          .filter(
              f ->
                  f.getFileName().toString().endsWith(".yaml")
                      || f.getFileName().toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
