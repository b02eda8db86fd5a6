package dev.polyak.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.util.Platform;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a build bundles, read from class-path resources laid out as DJL's native jars lay them out,
 * and the CPU fallback unpacked from them into DJL's cache.
 */
class NativeBuildTest {
  @TempDir Path dir;
  private final String classifier = Platform.fromSystem("pytorch").getClassifier();

  @AfterEach
  void forgetTheFlavor() {
    System.clearProperty("PYTORCH_FLAVOR");
  }

  /**
   * A jar with {@code entries} (name to content), as the native jars and the shaded job jar hold
   * them.
   */
  private Path jar(String name, Map<String, String> entries) throws Exception {
    Path jar = dir.resolve(name);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Map.Entry<String, String> e : entries.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  /**
   * The fallback as {@link NativeEngine} runs it, with {@code loader} as the context class loader.
   */
  private static void selectFallback(ClassLoader loader, NativeBuild build) {
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(loader);
    try {
      CpuFallback.select(build);
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  private static String properties(String flavor) {
    return "version=2.5.1-20241113\nflavor="
        + flavor
        + "\nclassifier=linux-x86_64\nlibraries=libc10.so,libtorch.so\n";
  }

  @Test
  void aShadedGpuJarIsTheCudaFlavorWithTheCpuLibraryBesideIt() throws Exception {
    String cpu = NativeBuild.cpuLibraryFolder(classifier);
    Path shaded =
        jar(
            "polyak.jar",
            Map.of(
                "native/lib/pytorch.properties",
                properties("cu124"),
                "pytorch/cu124/" + classifier + "/libtorch.so",
                "cuda libtorch",
                cpu + "libtorch.so",
                "cpu libtorch",
                cpu + "libc10.so",
                "cpu c10",
                cpu + "sub/ignored.txt",
                "not a library of this folder"));
    Path cache = dir.resolve("cache");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {shaded.toUri().toURL()}, null)) {
      NativeBuild build = NativeBuild.read(loader, cache);

      assertThat(build.bundledFlavors()).containsExactly("cu124");
      assertThat(build.cpuLibraryOnClassPath()).isTrue();
      assertThat(build.cachedFlavors()).isEmpty();
      assertThat(build.pytorchVersion()).isEqualTo(Platform.fromSystem("pytorch").getVersion());
      assertThat(build.describe())
          .startsWith("the CUDA 12.4 build (PyTorch " + build.pytorchVersion() + ", DJL ")
          .endsWith(", with its CPU library as a fallback)");

      selectFallback(loader, build);
      Path unpacked = cache.resolve(build.pytorchVersion() + "-cpu-" + classifier);
      assertThat(unpacked.resolve("libtorch.so")).hasContent("cpu libtorch");
      assertThat(unpacked.resolve("libc10.so")).hasContent("cpu c10");
      try (var files = Files.list(unpacked)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("libtorch.so", "libc10.so");
      }
      try (var files = Files.list(cache)) {
        assertThat(files.count()).as("no temporary folder left behind").isEqualTo(1);
      }
      assertThat(System.getProperty("PYTORCH_FLAVOR")).isEqualTo("cpu");
      assertThat(NativeBuild.read(loader, cache).cachedFlavors())
          .as("what DJL will now find")
          .containsExactly("cpu");
    }
  }

  @Test
  void separateNativeJarsAreEachAFlavorAndADirectoryOnTheClassPathServesTheFallback()
      throws Exception {
    Path cuda =
        jar(
            "pytorch-native-cu124.jar",
            Map.of("native/lib/pytorch.properties", properties("cu124")));
    Path cpuJar =
        jar("pytorch-native-cpu.jar", Map.of("native/lib/pytorch.properties", properties("cpu")));
    Path classes = dir.resolve("classes");
    Path cpuFolder =
        Files.createDirectories(classes.resolve(NativeBuild.cpuLibraryFolder(classifier)));
    Files.writeString(cpuFolder.resolve("libtorch.so"), "from a folder");
    Path cache = dir.resolve("cache");
    try (URLClassLoader loader =
        new URLClassLoader(
            new URL[] {cuda.toUri().toURL(), cpuJar.toUri().toURL(), classes.toUri().toURL()},
            null)) {
      NativeBuild build = NativeBuild.read(loader, cache);
      assertThat(build.bundledFlavors()).containsExactly("cu124", "cpu");
      selectFallback(loader, build);
      assertThat(cache.resolve(build.pytorchVersion() + "-cpu-" + classifier + "/libtorch.so"))
          .hasContent("from a folder");
    }
  }

  @Test
  void aCpuBuildWithNothingUnpackedAndAnEmptyClassPath() throws Exception {
    Path cache = Files.createDirectories(dir.resolve("cache"));
    String version = Platform.fromSystem("pytorch").getVersion();
    Files.createDirectories(cache.resolve(version + "-cu124-" + classifier));
    Files.writeString(cache.resolve(version + "-cu124-" + classifier + "/libtorch.so"), "x");
    Files.createDirectories(cache.resolve("1.0.0-cpu-" + classifier));
    Files.writeString(cache.resolve("1.0.0-cpu-" + classifier + "/libtorch.so"), "another version");
    Files.createDirectories(cache.resolve(version + "-cpu-" + classifier));
    try (OutputStream unused = Files.newOutputStream(cache.resolve(version + ".txt"))) {
      // DJL's index file lies there too
    }
    try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
      NativeBuild build = NativeBuild.read(empty, cache);
      assertThat(build.bundledFlavors()).isEmpty();
      assertThat(build.cpuLibraryOnClassPath()).isFalse();
      assertThat(build.cachedFlavors())
          .as("only folders of this version with a libtorch.so")
          .containsExactly("cu124");
      assertThat(build.cudaFlavor()).isEmpty();
      assertThat(build.cpuLibraryAvailable()).isFalse();
    }
  }
}
