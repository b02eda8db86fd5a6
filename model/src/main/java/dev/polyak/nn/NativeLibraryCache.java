package dev.polyak.nn;

import dev.polyak.io.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lays out the PyTorch native library bundled in the class path (the {@code pytorch-native-*} and
 * {@code pytorch-jni} jars) in a DJL cache folder exactly where DJL's {@code LibUtils} looks for
 * it, without loading it: so an image can unpack it at build time, also the CUDA build on a machine
 * without a GPU, and a new process finds it there instead of extracting several GB.
 *
 * <p>DJL 0.33 and 0.36 (the GPU and CPU builds) look in {@code <DJL_CACHE_DIR>/pytorch/<version>-
 * <flavor>-<classifier>/} for {@code libtorch.so} (if present, the folder is taken as complete) and
 * for {@code <djl version>-libdjl_torch.so}. Here the flavor is the bundle's own (its {@code
 * native/lib/pytorch.properties}), never the machine's, which is what DJL picks on a machine whose
 * CUDA can run the bundle. Files are copied into a temporary folder and renamed into place, as DJL
 * does, so a half-written folder is never taken for a complete one.
 */
public final class NativeLibraryCache {
  private static final String NATIVE_PROPERTIES = "native/lib/pytorch.properties";
  private static final String JNI_PROPERTIES = "jnilib/pytorch.properties";
  private static final String ENGINE_PROPERTIES = "pytorch-engine.properties";
  private static final String NATIVE_LIBRARY = System.mapLibraryName("torch");
  private static final String JNI_LIBRARY = System.mapLibraryName("djl_torch");

  /** DJL's own pattern: the release part of {@code 2.7.1-20250812}. */
  private static final Pattern VERSION =
      Pattern.compile("(\\d+\\.\\d+\\.\\d+(-[a-z]+)?)(-SNAPSHOT)?(-\\d+)?");

  /**
   * What the class path bundles.
   *
   * @param version the native build, e.g. {@code 2.7.1-20250812}
   * @param flavor {@code cpu}, {@code cu124}, ... ({@code -precxx11} appended as DJL does)
   * @param classifier {@code linux-x86_64}, ...
   * @param libraries the native files, in the bundle's order
   * @param djlVersion the engine's DJL version, which prefixes the JNI library's name
   */
  public record Bundle(
      String version, String flavor, String classifier, List<String> libraries, String djlVersion) {
    /** The folder under the DJL cache: {@code pytorch/<version>-<flavor>-<classifier>}. */
    public Path folder(Path cacheDir) {
      return cacheDir.resolve("pytorch").resolve(version + '-' + flavor + '-' + classifier);
    }

    /** The JNI library's file name in that folder: {@code <djl version>-libdjl_torch.so}. */
    public String jniFileName() {
      return djlVersion + '-' + JNI_LIBRARY;
    }
  }

  /**
   * What {@link #extract} did.
   *
   * @param folder the library folder
   * @param written the files it wrote (empty when everything was there)
   * @param bytesWritten their size
   */
  public record Extraction(Path folder, List<Path> written, long bytesWritten) {}

  private NativeLibraryCache() {}

  /** The PyTorch build bundled in {@code classLoader}'s class path. */
  public static Bundle bundle(ClassLoader classLoader) {
    Properties nativeProperties = properties(classLoader, NATIVE_PROPERTIES);
    String version = required(nativeProperties, "version");
    String flavor = nativeProperties.getProperty("flavor");
    String[] classifier = required(nativeProperties, "classifier").split("-");
    String osArch;
    if (flavor == null) {
      // the older layout: classifier = <flavor>-<os>-<arch>
      flavor = classifier[0];
      osArch = classifier[1] + '-' + classifier[2];
    } else {
      osArch = classifier[0] + '-' + classifier[1];
    }
    List<String> libraries = List.of(required(nativeProperties, "libraries").split(","));
    if (!flavor.endsWith("-precxx11") && libraries.contains("libstdc++.so.6")) {
      flavor += "-precxx11"; // DJL's rule for PyTorch 1.9.1 and older
    }
    String djlVersion = required(properties(classLoader, ENGINE_PROPERTIES), "djl_version");
    return new Bundle(version, flavor, osArch, libraries, djlVersion);
  }

  /**
   * Lays the bundled library out in {@code cacheDir} (what {@code DJL_CACHE_DIR} will be) and
   * returns what it wrote; a folder that already holds {@code libtorch.so} and the JNI library is
   * left alone.
   */
  public static Extraction extract(ClassLoader classLoader, Path cacheDir) {
    Bundle bundle = bundle(classLoader);
    Path folder = bundle.folder(cacheDir).toAbsolutePath();
    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(folder.getParent());
      if (!Files.exists(folder.resolve(NATIVE_LIBRARY))) {
        FileTrees.deleteRecursively(folder);
        Path temporary = Files.createTempDirectory(folder.getParent(), "tmp");
        try {
          for (String library : bundle.libraries()) {
            copy(
                classLoader,
                "pytorch/" + bundle.flavor() + '/' + bundle.classifier() + '/' + library,
                temporary.resolve(library));
            written.add(folder.resolve(library));
          }
          Files.move(temporary, folder, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          FileTrees.deleteRecursively(temporary);
        }
      }
      Path jni = folder.resolve(bundle.jniFileName());
      if (!Files.exists(jni)) {
        requireMatchingJni(classLoader, bundle);
        Path temporary = Files.createTempFile(folder, "jni", "tmp");
        try {
          copy(
              classLoader,
              "jnilib/" + bundle.classifier() + '/' + bundle.flavor() + '/' + JNI_LIBRARY,
              temporary);
          Files.move(temporary, jni, StandardCopyOption.ATOMIC_MOVE);
          written.add(jni);
        } finally {
          Files.deleteIfExists(temporary);
        }
      }
      long bytes = 0;
      for (Path file : written) {
        bytes += Files.size(file);
      }
      return new Extraction(folder, List.copyOf(written), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot lay out PyTorch's native library in " + folder + ": " + e.getMessage(), e);
    }
  }

  /**
   * DJL extracts the bundled JNI library only if its version matches the native build; otherwise it
   * downloads one.
   */
  private static void requireMatchingJni(ClassLoader classLoader, Bundle bundle) {
    String jniVersion = required(properties(classLoader, JNI_PROPERTIES), "jni_version");
    Matcher release = VERSION.matcher(bundle.version());
    if (!release.matches()
        || !jniVersion.startsWith(release.group(1) + '-' + bundle.djlVersion())) {
      throw new IllegalStateException(
          "the bundled PyTorch JNI library "
              + jniVersion
              + " does not match PyTorch "
              + bundle.version()
              + " and DJL "
              + bundle.djlVersion()
              + "; DJL would download another at run time");
    }
  }

  private static void copy(ClassLoader classLoader, String resource, Path target)
      throws IOException {
    try (InputStream in = classLoader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the class path lacks " + resource + ", which DJL would extract");
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Properties properties(ClassLoader classLoader, String resource) {
    URL url = classLoader.getResource(resource);
    if (url == null) {
      throw new IllegalStateException(
          "the class path bundles no PyTorch native library (no " + resource + ")");
    }
    Properties properties = new Properties();
    try (InputStream in = url.openStream()) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + url, e);
    }
    return properties;
  }

  private static String required(Properties properties, String key) {
    String value = properties.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("the bundled PyTorch properties lack '" + key + "'");
    }
    return value.trim();
  }
}
