package dev.polyak.engine;

import ai.djl.util.Platform;
import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Where this process can take PyTorch's native library from, read without loading it: the flavours
 * of the native jars on the class path ({@code native/lib/pytorch.properties}: {@code cpu}, {@code
 * cu124}, ...), whether the CPU libraries themselves are on the class path (the GPU build's
 * fallback, whose properties file the shaded jar drops), the flavours already unpacked in DJL's
 * cache, and the settings by which a user overrides DJL's choice.
 *
 * @param pytorchVersion the PyTorch version the engine is built for ({@code
 *     pytorch-engine.properties})
 * @param djlVersion the DJL version
 * @param classifier {@code linux-x86_64} and the like
 * @param bundledFlavors the {@code flavor} of every {@code native/lib/pytorch.properties} on the
 *     class path
 * @param cpuLibraryOnClassPath whether {@code pytorch/cpu/<classifier>/libtorch.so} is on the class
 *     path
 * @param cacheDir DJL's cache for PyTorch ({@code DJL_CACHE_DIR}/pytorch)
 * @param cachedFlavors the flavours unpacked there for this version and classifier
 * @param libraryPathOverride {@code PYTORCH_LIBRARY_PATH}, if set
 * @param versionOverride {@code PYTORCH_VERSION}, if set
 * @param flavorOverride {@code PYTORCH_FLAVOR}, if set (environment first, as DJL reads it)
 */
public record NativeBuild(
    String pytorchVersion,
    String djlVersion,
    String classifier,
    List<String> bundledFlavors,
    boolean cpuLibraryOnClassPath,
    Path cacheDir,
    Set<String> cachedFlavors,
    Optional<String> libraryPathOverride,
    Optional<String> versionOverride,
    Optional<String> flavorOverride) {

  /** The class-path folder of the CPU native libraries, as DJL lays them out. */
  static String cpuLibraryFolder(String classifier) {
    return "pytorch/cpu/" + classifier + "/";
  }

  public NativeBuild {
    bundledFlavors = List.copyOf(bundledFlavors);
    cachedFlavors = Collections.unmodifiableSet(new TreeSet<>(cachedFlavors));
  }

  /** Reads the build from the context class loader and DJL's cache, as DJL will when it loads. */
  public static NativeBuild read() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return read(
        loader != null ? loader : NativeBuild.class.getClassLoader(),
        Utils.getEngineCacheDir("pytorch"));
  }

  /** Reads the build from {@code loader}'s resources and the cache folder {@code cacheDir}. */
  public static NativeBuild read(ClassLoader loader, Path cacheDir) {
    Platform system = Platform.fromSystem("pytorch");
    String classifier = system.getClassifier();
    List<String> flavors = new ArrayList<>();
    try {
      for (URL url : Collections.list(loader.getResources("native/lib/pytorch.properties"))) {
        flavorOf(url).ifPresent(flavors::add);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot list the PyTorch native libraries on the class path", e);
    }
    boolean cpuLibrary = loader.getResource(cpuLibraryFolder(classifier) + "libtorch.so") != null;
    String version = system.getVersion();
    return new NativeBuild(
        version,
        system.getApiVersion(),
        classifier,
        flavors,
        cpuLibrary,
        cacheDir,
        cachedFlavors(cacheDir, version, classifier),
        setting("PYTORCH_LIBRARY_PATH"),
        setting("PYTORCH_VERSION"),
        setting("PYTORCH_FLAVOR"));
  }

  /**
   * The flavour of one native jar, as DJL's {@code Platform} parses it (a flavour key, or the
   * classifier's first token); empty for a placeholder, which bundles nothing.
   */
  private static Optional<String> flavorOf(URL url) {
    Properties properties = new Properties();
    try (InputStream in = url.openStream()) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + url, e);
    }
    if (properties.getProperty("placeholder") != null) {
      return Optional.empty();
    }
    String flavor = properties.getProperty("flavor");
    return Optional.of(
        flavor != null ? flavor : properties.getProperty("classifier", "unknown").split("-")[0]);
  }

  /**
   * The flavours DJL would find unpacked: {@code
   * <cache>/<version>-<flavor>-<classifier>/libtorch.so}.
   */
  private static Set<String> cachedFlavors(Path cacheDir, String version, String classifier) {
    Set<String> flavors = new TreeSet<>();
    if (version == null || !Files.isDirectory(cacheDir)) {
      return flavors;
    }
    String prefix = version + "-";
    String suffix = "-" + classifier;
    try (Stream<Path> entries = Files.list(cacheDir)) {
      entries
          .filter(dir -> Files.isRegularFile(dir.resolve("libtorch.so")))
          .map(dir -> dir.getFileName().toString())
          .filter(
              name ->
                  name.startsWith(prefix)
                      && name.endsWith(suffix)
                      && name.length() > prefix.length() + suffix.length())
          .forEach(
              name ->
                  flavors.add(name.substring(prefix.length(), name.length() - suffix.length())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list DJL's cache " + cacheDir, e);
    }
    return flavors;
  }

  private static Optional<String> setting(String name) {
    return Optional.ofNullable(Utils.getEnvOrSystemProperty(name))
        .filter(value -> !value.isEmpty());
  }

  /** The CUDA flavour among the bundled ones ({@code cu124}), if this is a GPU build. */
  public Optional<String> cudaFlavor() {
    return bundledFlavors.stream().filter(f -> f.startsWith("cu")).max(String::compareTo);
  }

  /**
   * Whether the CPU library can be had without a download: bundled, on the class path, or unpacked.
   */
  public boolean cpuLibraryAvailable() {
    return cpuLibraryOnClassPath
        || cachedFlavors.contains("cpu")
        || bundledFlavors.stream().anyMatch(f -> f.startsWith("cpu"));
  }

  /**
   * "the CUDA 12.4 build (PyTorch 2.5.1, DJL 0.33.0, with its CPU library as a fallback)" and the
   * like.
   */
  public String describe() {
    String versions = "PyTorch " + pytorchVersion + ", DJL " + djlVersion;
    Optional<String> cuda = cudaFlavor();
    if (cuda.isPresent()) {
      return "the CUDA "
          + GpuHost.cudaVersion(cuda.get())
          + " build ("
          + versions
          + (cpuLibraryAvailable()
              ? ", with its CPU library as a fallback)"
              : ", without a CPU fallback)");
    }
    if (cpuLibraryAvailable()) {
      return "the CPU build (" + versions + ")";
    }
    return "a build with no PyTorch native library bundled ("
        + versions
        + ") and none unpacked in "
        + cacheDir;
  }
}
