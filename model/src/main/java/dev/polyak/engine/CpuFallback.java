package dev.polyak.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The GPU build's CPU fallback: unpacks the CPU native library that the build carries on its class
 * path ({@code pytorch/cpu/<classifier>/}) into DJL's cache under the name DJL looks for when no
 * bundled flavour runs here ({@code <cache>/<version>-cpu-<classifier>}), and selects flavour
 * {@code cpu} ({@code PYTORCH_FLAVOR}), so that DJL loads it instead of trying to download.
 */
final class CpuFallback {
  private CpuFallback() {}

  /**
   * Makes DJL load the CPU library of {@code build}: unpacks it if not yet in the cache, then
   * selects it.
   */
  static void select(NativeBuild build) {
    Path target = build.cacheDir().resolve(build.pytorchVersion() + "-cpu-" + build.classifier());
    if (!Files.isRegularFile(target.resolve("libtorch.so"))) {
      unpack(NativeBuild.cpuLibraryFolder(build.classifier()), build.cacheDir(), target);
    }
    System.setProperty("PYTORCH_FLAVOR", "cpu");
  }

  /**
   * Copies the class-path folder {@code folder} to {@code target}, through a temporary folder
   * renamed into place.
   */
  private static void unpack(String folder, Path cacheDir, Path target) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    URL libtorch =
        (loader != null ? loader : CpuFallback.class.getClassLoader())
            .getResource(folder + "libtorch.so");
    if (libtorch == null) {
      throw new EngineUnavailableException(
          "the CPU fallback's library " + folder + "libtorch.so is not on the class path");
    }
    Path tmp = null;
    try {
      Files.createDirectories(cacheDir);
      tmp = Files.createTempDirectory(cacheDir, "tmp-cpu-");
      if (libtorch.getProtocol().equals("jar")) {
        JarURLConnection connection = (JarURLConnection) libtorch.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
            JarEntry entry = entries.nextElement();
            if (!entry.isDirectory()
                && entry.getName().startsWith(folder)
                && entry.getName().indexOf('/', folder.length()) < 0) {
              try (InputStream in = jar.getInputStream(entry)) {
                Files.copy(in, tmp.resolve(entry.getName().substring(folder.length())));
              }
            }
          }
        }
      } else {
        try (Stream<Path> files = Files.list(Path.of(libtorch.toURI()).getParent())) {
          for (Path file : (Iterable<Path>) files::iterator) {
            Files.copy(file, tmp.resolve(file.getFileName().toString()));
          }
        }
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        tmp = null;
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // another process unpacked it first: theirs is the same library
      }
    } catch (IOException | URISyntaxException e) {
      throw new UncheckedIOException(
          "cannot unpack the CPU fallback " + folder + " into " + target,
          e instanceof IOException io ? io : new IOException(e));
    } finally {
      if (tmp != null) {
        deleteTree(tmp);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary folder in the cache is harmless
    }
  }
}
