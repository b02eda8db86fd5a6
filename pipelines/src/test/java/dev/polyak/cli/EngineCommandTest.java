package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.nn.NativeLibraryCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's build step, {@code polyak engine extract --cache DIR} as deploy/k8s/Dockerfile writes
 * it (its folder swapped for a temporary one), unpacks PyTorch into the folder DJL will load it
 * from, and a second run writes nothing. (That DJL really loads it from there without extracting:
 * NativeLibraryCacheTest.)
 */
class EngineCommandTest {
  @TempDir Path dir;

  @Test
  void theImagesBuildStepUnpacksPyTorchOnce() throws Exception {
    String dockerfile =
        Files.readString(Path.of("..", "deploy", "k8s", "Dockerfile")).replace("\\\n", " ");
    Matcher run =
        Pattern.compile("(?m)^RUN .*?polyak (engine extract[^&\\n]*)").matcher(dockerfile);
    assertThat(run.find()).as("deploy/k8s/Dockerfile runs polyak engine extract").isTrue();
    List<String> args = new ArrayList<>(List.of(run.group(1).trim().split("\\s+")));
    int cache = args.indexOf("--cache");
    assertThat(cache).isPositive();
    Path folder = dir.resolve("djl-cache");
    args.set(cache + 1, folder.toString());

    CliRun first = CliRun.of(args.toArray(String[]::new));
    CliRun second = CliRun.of(args.toArray(String[]::new));

    Path expected = NativeLibraryCache.bundle(getClass().getClassLoader()).folder(folder);
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).contains(expected.toString()).contains("files written");
    assertThat(expected.resolve(System.mapLibraryName("torch"))).isRegularFile();
    assertThat(second.code()).isZero();
    assertThat(second.out()).contains("already there, nothing written");
  }
}
