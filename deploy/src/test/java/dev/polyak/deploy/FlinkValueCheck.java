package dev.polyak.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalResourceOptions;

/**
 * Reads every value of a configuration through its Flink option, so that Flink's own type
 * conversion (integers, durations, memory sizes, enums, lists) judges it: "5 s" for an option of
 * milliseconds, "8gb" for a memory size or "SLOT" for an enum fail here as they would at start.
 */
final class FlinkValueCheck {
  private static final Pattern AMOUNT =
      Pattern.compile(
          "external-resource\\.[^.]+\\."
              + Pattern.quote(ExternalResourceOptions.EXTERNAL_RESOURCE_AMOUNT_SUFFIX));

  private final FlinkOptionCatalog catalog;

  FlinkValueCheck(FlinkOptionCatalog catalog) {
    this.catalog = catalog;
  }

  /**
   * One message per value Flink cannot read as its option's type.
   *
   * @param settings where the values come from (for messages)
   * @param configuration the configuration Flink would see for them
   */
  List<String> problems(FlinkSettings settings, Configuration configuration) {
    List<String> problems = new ArrayList<>();
    for (FlinkSettings.Setting setting : settings.settings()) {
      Optional<String> problem = problem(setting.key(), configuration);
      problem.ifPresent(
          p ->
              problems.add(
                  settings.source()
                      + ", line "
                      + setting.line()
                      + ": '"
                      + setting.key()
                      + "' = '"
                      + setting.value()
                      + "': "
                      + p));
    }
    return problems;
  }

  private Optional<String> problem(String key, Configuration configuration) {
    try {
      Optional<FlinkOptionCatalog.Definition> definition = catalog.find(key);
      if (definition.isPresent()) {
        configuration.get(definition.get().option());
        return Optional.empty();
      }
      Matcher amount = AMOUNT.matcher(key);
      if (amount.matches()) {
        // ExternalResourceOptions.EXTERNAL_RESOURCE_AMOUNT's type, under the resource's own key
        long value =
            configuration.get(
                org.apache.flink.configuration.ConfigOptions.key(key).longType().noDefaultValue());
        return value > 0
            ? Optional.empty()
            : Optional.of("an external resource amount must be positive");
      }
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
