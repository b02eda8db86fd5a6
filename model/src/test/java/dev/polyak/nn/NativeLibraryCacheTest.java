package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NativeLibraryCache} lays PyTorch out where DJL itself would: byte for byte the tree DJL
 * extracts into an empty {@code DJL_CACHE_DIR} in a fresh JVM, and a fresh JVM started on the laid
 * out folder (offline) loads the engine from it, trains a step and writes nothing there. The CUDA
 * bundle's layout, which this machine cannot load, is checked on a stand-in class path against the
 * folder and file names DJL 0.33's {@code LibUtils} derives.
 */
class NativeLibraryCacheTest {
  @TempDir Path dir;

  @Test
  void theLayoutIsTheTreeDjlExtractsItself() throws Exception {
    Path ours = dir.resolve("ours");
    NativeLibraryCache.Extraction extraction =
        NativeLibraryCache.extract(getClass().getClassLoader(), ours);
    Path djls = dir.resolve("djl");
    Files.createDirectories(djls);
    String output = probe(djls);
    System.out.println("empty cache: " + output.lines().filter(l -> l.startsWith("ms-")).toList());
    assertThat(output).contains("Extracting");
    assertThat(tree(ours.resolve("pytorch"))).isNotEmpty().isEqualTo(tree(djls.resolve("pytorch")));
    assertThat(extraction.written()).hasSize(tree(ours.resolve("pytorch")).size());
    assertThat(extraction.bytesWritten()).isGreaterThan(100_000_000L);
  }

  @Test
  void aFreshProcessOnTheLaidOutCacheExtractsNothing() throws Exception {
    Path cache = dir.resolve("cache");
    NativeLibraryCache.Extraction extraction =
        NativeLibraryCache.extract(getClass().getClassLoader(), cache);
    Map<String, FileTime> before = modified(cache);
    String output = probe(cache);
    System.out.println(
        "pre-extracted cache: " + output.lines().filter(l -> l.startsWith("ms-")).toList());
    assertThat(output).doesNotContain("Extracting").contains("loss=");
    assertThat(output).contains("libtorch=" + extraction.folder());
    assertThat(modified(cache)).as("no file written, replaced or added").isEqualTo(before);
    // a second extraction finds everything in place
    assertThat(NativeLibraryCache.extract(getClass().getClassLoader(), cache).written()).isEmpty();
  }

  @Test
  void theCudaBundleGoesWhereDjlLooksOnAGpuMachine() throws Exception {
    Path classes = dir.resolve("classes");
    write(
        classes,
        "native/lib/pytorch.properties",
        "version=2.5.1-20241113\nflavor=cu124\nclassifier=linux-x86_64\nlibraries=libc10.so,libtorch.so,libtorch_cuda.so\n");
    write(classes, "pytorch/cu124/linux-x86_64/libc10.so", "c10");
    write(classes, "pytorch/cu124/linux-x86_64/libtorch.so", "torch");
    write(classes, "pytorch/cu124/linux-x86_64/libtorch_cuda.so", "cuda");
    write(classes, "jnilib/pytorch.properties", "jni_version=2.5.1-0.33.0\n");
    write(classes, "jnilib/linux-x86_64/cpu/libdjl_torch.so", "cpu jni");
    write(classes, "jnilib/linux-x86_64/cu124/libdjl_torch.so", "cuda jni");
    write(classes, "pytorch-engine.properties", "djl_version=0.33.0\npytorch_version=2.5.1\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
      Path cache = dir.resolve("gpu-cache");
      NativeLibraryCache.Extraction extraction = NativeLibraryCache.extract(loader, cache);
      Path folder = cache.resolve("pytorch/2.5.1-20241113-cu124-linux-x86_64");
      assertThat(extraction.folder()).isEqualTo(folder.toAbsolutePath());
      assertThat(Files.readString(folder.resolve("libtorch_cuda.so"))).isEqualTo("cuda");
      assertThat(Files.readString(folder.resolve("0.33.0-libdjl_torch.so"))).isEqualTo("cuda jni");
      try (Stream<Path> files = Files.list(cache.resolve("pytorch"))) {
        assertThat(files).as("no temporary folder left").containsExactly(folder);
      }
      assertThat(extraction.bytesWritten()).isEqualTo("c10torchcudacuda jni".length());

      write(classes, "jnilib/pytorch.properties", "jni_version=2.7.1-0.36.0\n");
      Files.delete(folder.resolve("0.33.0-libdjl_torch.so"));
      assertThatThrownBy(() -> NativeLibraryCache.extract(loader, cache))
          .hasMessageContaining("2.7.1-0.36.0")
          .hasMessageContaining("download");
    }
  }

  /**
   * Runs {@link EngineLoadProbe} in a fresh JVM with {@code DJL_CACHE_DIR=cache}, offline, and
   * returns its output.
   */
  static String probe(Path cache) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.log.ai.djl.pytorch=info",
                "-cp",
                System.getProperty("java.class.path"),
                EngineLoadProbe.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("DJL_CACHE_DIR", cache.toString());
    builder.environment().remove("ENGINE_CACHE_DIR");
    builder.environment().remove("PYTORCH_LIBRARY_PATH");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  /** Relative path to SHA-256 of every file below {@code root}. */
  static Map<String, String> tree(Path root) throws Exception {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.filter(Files::isRegularFile).toList()) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
          byte[] buffer = new byte[1 << 20];
          int n;
          while ((n = in.read(buffer)) > 0) {
            sha.update(buffer, 0, n);
          }
        }
        files.put(root.relativize(p).toString(), HexFormat.of().formatHex(sha.digest()));
      }
    }
    return files;
  }

  /** Every path below {@code root} with its modification time. */
  static Map<String, FileTime> modified(Path root) throws IOException {
    Map<String, FileTime> times = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        times.put(root.relativize(p).toString(), Files.getLastModifiedTime(p));
      }
    }
    return times;
  }

  private static void write(Path root, String relative, String content) throws IOException {
    Path file = root.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }
}
