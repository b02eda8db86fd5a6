package dev.polyak.deploy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.flink.annotation.docs.Documentation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

/**
 * Every configuration key the Flink jars on the test classpath define, read from Flink's own option
 * classes rather than from a list written here.
 *
 * <p><b>Which classes.</b> Every class under {@code org.apache.flink} whose simple name ends in
 * {@code Options}, top-level or nested, in every jar (or class folder) of the test classpath,
 * except the relocated third-party code under {@code org.apache.flink.shaded}. With this module's
 * test dependencies (flink-core, flink-runtime, flink-clients, flink-streaming-java and what they
 * bring) that is flink-core's {@code org.apache.flink.configuration.*Options} (CoreOptions,
 * TaskManagerOptions, JobManagerOptions, RestOptions, HeartbeatManagerOptions, ClusterOptions,
 * RestartStrategyOptions, ExternalResourceOptions, MetricOptions, ...), flink-runtime's
 * ShuffleServiceOptions, SavepointConfigOptions and JobResultStoreOptions, flink-clients'
 * ClientOptions and ArtifactFetchOptions, and flink-streaming-java's ExecutionCheckpointingOptions
 * and StreamPipelineOptions; {@link #classes()} names them all. Classes whose names end in {@code
 * Options} but hold no {@code ConfigOption} (the CLI's ProgramOptions, the memory-model holders)
 * contribute nothing. Internal options ({@code *OptionsInternal}, keys starting with {@code
 * $internal}) are left out on purpose: they are not for configuration files.
 *
 * <p><b>What is collected.</b> Every static field of type {@link ConfigOption}, public or not: its
 * key, and each of its fallback keys (older names Flink still reads). A key is deprecated when its
 * field or class is {@code @Deprecated} or when it is only a deprecated fallback key of another
 * option. A field marked {@link Documentation.SuffixOption} is not a key of its own but the tail of
 * a templated family such as {@code metrics.reporter.<name>.factory.class}; those tails are kept by
 * family prefix in {@link #suffixes()}.
 */
final class FlinkOptionCatalog {
  /**
   * One key Flink reads.
   *
   * @param key the key as written in a configuration file
   * @param option the option it belongs to (for a fallback key: the option it falls back to)
   * @param declaredIn the declaring class and field, {@code TaskManagerOptions.NUM_TASK_SLOTS}
   * @param deprecated whether Flink marks this key as deprecated
   */
  record Definition(String key, ConfigOption<?> option, String declaredIn, boolean deprecated) {
    /** The key to write instead of a deprecated fallback key; the key itself otherwise. */
    String replacement() {
      return option.key();
    }
  }

  private static final String SHADED = "org/apache/flink/shaded/";

  private final SortedMap<String, Definition> definitions;
  private final SortedSet<String> classes;
  private final SortedMap<String, SortedSet<String>> suffixes;

  private FlinkOptionCatalog(
      SortedMap<String, Definition> definitions,
      SortedSet<String> classes,
      SortedMap<String, SortedSet<String>> suffixes) {
    this.definitions = Collections.unmodifiableSortedMap(definitions);
    this.classes = Collections.unmodifiableSortedSet(classes);
    this.suffixes = Collections.unmodifiableSortedMap(suffixes);
  }

  private static FlinkOptionCatalog instance;

  /** The catalog of the test classpath, scanned once per JVM. */
  static synchronized FlinkOptionCatalog onClasspath() {
    if (instance == null) {
      instance = scan(classpath());
    }
    return instance;
  }

  /** Scans the given classpath entries (jars or class folders). */
  static FlinkOptionCatalog scan(List<Path> entries) {
    SortedMap<String, Definition> definitions = new TreeMap<>();
    SortedSet<String> classes = new TreeSet<>();
    SortedMap<String, SortedSet<String>> suffixes = new TreeMap<>();
    for (String className : optionClassNames(entries)) {
      Class<?> type;
      try {
        type = Class.forName(className, true, FlinkOptionCatalog.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException(
            "cannot load Flink option class " + className + ": " + e, e);
      }
      boolean any = false;
      for (Field field : type.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers())
            || !ConfigOption.class.isAssignableFrom(field.getType())) {
          continue;
        }
        ConfigOption<?> option = read(field);
        String declaredIn = type.getSimpleName() + "." + field.getName();
        Documentation.SuffixOption suffix = field.getAnnotation(Documentation.SuffixOption.class);
        if (suffix != null) {
          suffixes.computeIfAbsent(suffix.value(), p -> new TreeSet<>()).add(option.key());
          any = true;
          continue;
        }
        if (option.key().startsWith("$internal")) {
          continue;
        }
        boolean deprecated =
            field.isAnnotationPresent(Deprecated.class)
                || type.isAnnotationPresent(Deprecated.class);
        add(definitions, new Definition(option.key(), option, declaredIn, deprecated));
        for (FallbackKey fallback : option.fallbackKeys()) {
          add(
              definitions,
              new Definition(
                  fallback.getKey(),
                  option,
                  declaredIn + " (fallback key of '" + option.key() + "')",
                  deprecated || fallback.isDeprecated()));
        }
        any = true;
      }
      if (any) {
        classes.add(className);
      }
    }
    return new FlinkOptionCatalog(definitions, classes, suffixes);
  }

  /** The definition of {@code key}, if a scanned class declares it. */
  Optional<Definition> find(String key) {
    return Optional.ofNullable(definitions.get(key));
  }

  /** All keys, sorted. */
  SortedMap<String, Definition> definitions() {
    return definitions;
  }

  /** The classes that contributed at least one option, by binary name. */
  SortedSet<String> classes() {
    return classes;
  }

  /**
   * Templated families: a prefix as Flink documents it ({@code metrics.reporter.<name>}) and the
   * key tails its {@code @SuffixOption} fields define ({@code factory.class}, {@code interval},
   * ...).
   */
  SortedMap<String, SortedSet<String>> suffixes() {
    return suffixes;
  }

  /** The known key closest to {@code key} by edit distance, for "did you mean" in messages. */
  Optional<String> closest(String key) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : definitions.keySet()) {
      int d = editDistance(key, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 5)
        ? Optional.ofNullable(best)
        : Optional.empty();
  }

  private static void add(Map<String, Definition> definitions, Definition definition) {
    Definition earlier = definitions.get(definition.key());
    // The same key declared twice (an option and another's fallback): the non-deprecated reading
    // wins.
    if (earlier == null || earlier.deprecated() && !definition.deprecated()) {
      definitions.put(definition.key(), definition);
    }
  }

  private static ConfigOption<?> read(Field field) {
    try {
      field.setAccessible(true);
      return (ConfigOption<?>) field.get(null);
    } catch (IllegalAccessException | RuntimeException e) {
      throw new IllegalStateException("cannot read " + field, e);
    }
  }

  /**
   * Binary names of the classes named {@code *Options} under org.apache.flink in {@code entries}.
   */
  static SortedSet<String> optionClassNames(List<Path> entries) {
    SortedSet<String> names = new TreeSet<>();
    for (Path entry : entries) {
      if (Files.isDirectory(entry)) {
        try (Stream<Path> files = Files.walk(entry)) {
          files
              .map(f -> entry.relativize(f).toString().replace(File.separatorChar, '/'))
              .filter(FlinkOptionCatalog::isOptionClassFile)
              .forEach(f -> names.add(binaryName(f)));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else if (entry.toString().endsWith(".jar") && Files.isRegularFile(entry)) {
        try (JarFile jar = new JarFile(entry.toFile())) {
          for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
            String name = e.nextElement().getName();
            if (isOptionClassFile(name)) {
              names.add(binaryName(name));
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + entry, e);
        }
      }
    }
    return names;
  }

  private static boolean isOptionClassFile(String path) {
    if (!path.startsWith("org/apache/flink/")
        || path.startsWith(SHADED)
        || !path.endsWith(".class")) {
      return false;
    }
    String simple = path.substring(path.lastIndexOf('/') + 1, path.length() - ".class".length());
    simple = simple.substring(simple.lastIndexOf('$') + 1);
    return simple.endsWith("Options") && !simple.isEmpty() && !Character.isDigit(simple.charAt(0));
  }

  private static String binaryName(String classFile) {
    return classFile.substring(0, classFile.length() - ".class".length()).replace('/', '.');
  }

  /**
   * The test classpath: Surefire's {@code surefire.test.class.path} (under Surefire the JVM's own
   * {@code java.class.path} is a one-entry manifest jar), else {@code java.class.path}.
   */
  private static List<Path> classpath() {
    String path =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<Path> entries = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(Path.of(entry));
      }
    }
    return entries;
  }

  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
