package dev.polyak.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.apache.flink.runtime.util.EnvironmentInformation;

/**
 * Checks every key of a Flink configuration against Flink's own option definitions ({@link
 * FlinkOptionCatalog}): a key must be an option's key (not a deprecated one), or belong to a
 * templated family.
 *
 * <p><b>Templated families.</b> Two kinds, both derived from Flink's classes where the test
 * classpath has them:
 *
 * <ul>
 *   <li>options whose key holds a placeholder, such as ExternalResourceOptions' {@code
 *       external-resource.<resource_name>.amount}: a placeholder stands for one key segment, or for
 *       the rest of the key when it is the last one ({@code ...param.<param>});
 *   <li>{@code @Documentation.SuffixOption} fields, which are key tails under a documented prefix:
 *       MetricOptions' {@code metrics.reporter.<name>} with {@code factory.class}, {@code
 *       interval}, ... and {@code <parameter>} (any reporter's own parameter, e.g. the Prometheus
 *       port).
 * </ul>
 *
 * And by explicit patterns, for families defined in Flink modules this module cannot have offline:
 * {@code external-resource.<name>.kubernetes.config-key} (flink-kubernetes) and {@code
 * external-resource.<name>.yarn.config-key} (flink-yarn), which ExternalResourceOptions builds with
 * {@code getSystemConfigKeyConfigOptionForResource}, and the GPU driver's parameters {@code
 * discovery-script.path} and {@code discovery-script.args} (GPUDriverOptions of
 * flink-external-resource-gpu) for a resource whose driver factory is Flink's GPUDriverFactory. An
 * {@code external-resource.<name>.*} key must name a resource listed in {@code external-resources}.
 */
final class FlinkKeyCheck {
  static final String GPU_DRIVER_FACTORY = "org.apache.flink.externalresource.gpu.GPUDriverFactory";
  static final Set<String> GPU_DRIVER_PARAMETERS =
      Set.of("discovery-script.path", "discovery-script.args");
  private static final Set<String> SYSTEM_CONFIG_KEY_SUFFIXES =
      Set.of("kubernetes.config-key", "yarn.config-key");
  private static final Pattern PLACEHOLDER = Pattern.compile("<[^>]+>");
  private static final Pattern EXTERNAL_RESOURCE =
      Pattern.compile("external-resource\\.([^.]+)\\.(.+)");

  private final FlinkOptionCatalog catalog;
  private final List<Pattern> families;

  FlinkKeyCheck(FlinkOptionCatalog catalog) {
    this.catalog = catalog;
    List<Pattern> patterns = new ArrayList<>();
    for (String key : catalog.definitions().keySet()) {
      if (PLACEHOLDER.matcher(key).find()) {
        patterns.add(template(key));
      }
    }
    for (Map.Entry<String, ? extends Set<String>> family : catalog.suffixes().entrySet()) {
      for (String suffix : family.getValue()) {
        patterns.add(template(family.getKey() + "." + suffix));
      }
    }
    this.families = List.copyOf(patterns);
  }

  /** The families as regular expressions, for the record. */
  List<Pattern> families() {
    return families;
  }

  /**
   * One message per bad key, each naming the file, the line and the key; empty when all are good.
   */
  List<String> problems(FlinkSettings configuration) {
    List<String> problems = new ArrayList<>();
    Set<String> resources = resources(configuration);
    for (FlinkSettings.Setting setting : configuration.settings()) {
      String where = configuration.source() + ", line " + setting.line() + ": ";
      String key = setting.key();
      Optional<FlinkOptionCatalog.Definition> definition = catalog.find(key);
      if (definition.isPresent()) {
        FlinkOptionCatalog.Definition d = definition.get();
        if (d.deprecated()) {
          problems.add(
              where
                  + "'"
                  + key
                  + "' is deprecated in Flink "
                  + flinkVersion()
                  + " ("
                  + d.declaredIn()
                  + ")"
                  + (d.replacement().equals(key) ? "" : "; use '" + d.replacement() + "'"));
        }
        continue;
      }
      Matcher external = EXTERNAL_RESOURCE.matcher(key);
      if (external.matches()) {
        externalResourceProblem(configuration, resources, external.group(1), external.group(2))
            .ifPresent(p -> problems.add(where + "'" + key + "': " + p));
        continue;
      }
      if (families.stream().anyMatch(p -> p.matcher(key).matches())) {
        continue;
      }
      problems.add(
          where
              + "unknown Flink configuration key '"
              + key
              + "'"
              + catalog
                  .closest(key)
                  .map(c -> " (did you mean '" + c + "'?)")
                  .orElse(" (no option of Flink " + flinkVersion() + " has it)"));
    }
    return problems;
  }

  private Optional<String> externalResourceProblem(
      FlinkSettings configuration, Set<String> resources, String name, String suffix) {
    if (!resources.contains(name)) {
      return Optional.of(
          "resource '" + name + "' is not listed in external-resources " + resources);
    }
    if (suffix.equals(ExternalResourceOptions.EXTERNAL_RESOURCE_AMOUNT_SUFFIX)
        || suffix.equals(ExternalResourceOptions.EXTERNAL_RESOURCE_DRIVER_FACTORY_SUFFIX)
        || SYSTEM_CONFIG_KEY_SUFFIXES.contains(suffix)) {
      return Optional.empty();
    }
    if (suffix.startsWith(ExternalResourceOptions.EXTERNAL_RESOURCE_DRIVER_PARAM_SUFFIX)) {
      String parameter =
          suffix.substring(ExternalResourceOptions.EXTERNAL_RESOURCE_DRIVER_PARAM_SUFFIX.length());
      String factory =
          configuration
              .value(
                  ExternalResourceOptions.getExternalResourceDriverFactoryConfigOptionForResource(
                      name))
              .orElse("");
      if (factory.equals(GPU_DRIVER_FACTORY) && !GPU_DRIVER_PARAMETERS.contains(parameter)) {
        return Optional.of(
            "the GPU driver has no parameter '"
                + parameter
                + "' (it has "
                + GPU_DRIVER_PARAMETERS
                + ")");
      }
      return Optional.empty();
    }
    return Optional.of(
        "unknown external-resource key '"
            + suffix
            + "' (amount, driver-factory.class, param.*,"
            + " kubernetes.config-key or yarn.config-key)");
  }

  /** The names in external-resources ({@code gpu}, or {@code gpu;fpga}). */
  private static Set<String> resources(FlinkSettings configuration) {
    return configuration
        .value(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST.key())
        .map(
            v ->
                Set.of(v.split("[;,]")).stream()
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .collect(Collectors.toCollection(java.util.TreeSet::new)))
        .map(s -> (Set<String>) s)
        .orElse(Set.of());
  }

  private static Pattern template(String key) {
    StringBuilder regex = new StringBuilder();
    Matcher m = PLACEHOLDER.matcher(key);
    int last = 0;
    while (m.find()) {
      regex.append(Pattern.quote(key.substring(last, m.start())));
      regex.append(m.end() == key.length() ? ".+" : "[^.]+");
      last = m.end();
    }
    regex.append(Pattern.quote(key.substring(last)));
    return Pattern.compile(regex.toString());
  }

  static String flinkVersion() {
    return EnvironmentInformation.getVersion();
  }
}
