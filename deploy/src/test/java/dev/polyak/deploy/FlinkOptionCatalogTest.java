package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.junit.jupiter.api.Test;

/** The scan of Flink's option classes finds what Flink defines, and nothing it does not. */
class FlinkOptionCatalogTest {
  private final FlinkOptionCatalog catalog = FlinkOptionCatalog.onClasspath();

  @Test
  void findsTheOptionsOfFlinksOptionClasses() {
    long options =
        catalog.definitions().values().stream()
            .map(FlinkOptionCatalog.Definition::option)
            .distinct()
            .count();
    System.out.printf(
        "FlinkOptionCatalog: %d keys of %d options from %d classes of Flink %s%n",
        catalog.definitions().size(),
        options,
        catalog.classes().size(),
        FlinkKeyCheck.flinkVersion());

    assertThat(catalog.definitions()).hasSizeGreaterThan(600);
    assertThat(catalog.classes())
        .contains(
            "org.apache.flink.configuration.CoreOptions",
            "org.apache.flink.configuration.TaskManagerOptions",
            "org.apache.flink.configuration.JobManagerOptions",
            "org.apache.flink.configuration.RestOptions",
            "org.apache.flink.configuration.HeartbeatManagerOptions",
            "org.apache.flink.configuration.RestartStrategyOptions",
            "org.apache.flink.configuration.ExternalResourceOptions",
            "org.apache.flink.configuration.MetricOptions",
            "org.apache.flink.runtime.shuffle.ShuffleServiceOptions",
            "org.apache.flink.client.cli.ClientOptions",
            "org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions");
    assertThat(catalog.classes())
        .allSatisfy(
            c ->
                assertThat(c)
                    .startsWith("org.apache.flink.")
                    .doesNotStartWith("org.apache.flink.shaded.")
                    .endsWith("Options"));
  }

  @Test
  void aKeyLeadsToItsOptionAndDeclaringField() {
    FlinkOptionCatalog.Definition slots =
        catalog.find("taskmanager.numberOfTaskSlots").orElseThrow();

    assertThat((Object) slots.option()).isSameAs(TaskManagerOptions.NUM_TASK_SLOTS);
    assertThat(slots.declaredIn()).isEqualTo("TaskManagerOptions.NUM_TASK_SLOTS");
    assertThat(slots.deprecated()).isFalse();
  }

  @Test
  void fallbackKeysAreKeptAndMarkedWhenDeprecated() {
    FlinkOptionCatalog.Definition legacy = catalog.find("env.java.opts").orElseThrow();

    assertThat((Object) legacy.option()).isSameAs(CoreOptions.FLINK_JVM_OPTIONS);
    assertThat(legacy.deprecated()).isTrue();
    assertThat(legacy.replacement()).isEqualTo("env.java.opts.all");
  }

  @Test
  void deprecatedOptionsAreMarked() {
    assertThat(catalog.find("cluster.evenly-spread-out-slots").orElseThrow().deprecated()).isTrue();
    assertThat(catalog.find("taskmanager.load-balance.mode").orElseThrow().deprecated()).isFalse();
  }

  @Test
  void suffixOptionsAreFamiliesNotKeys() {
    assertThat(catalog.suffixes()).containsKey("metrics.reporter.<name>");
    assertThat(catalog.suffixes().get("metrics.reporter.<name>"))
        .contains("factory.class", "interval", "<parameter>");
    assertThat(catalog.find("factory.class")).isEmpty();
  }

  @Test
  void internalOptionsAreLeftOut() {
    assertThat(catalog.definitions().keySet()).noneMatch(k -> k.startsWith("$internal"));
  }

  @Test
  void everyOptionIsAConfigOptionWithItsOwnKeyOrAFallback() {
    assertThat(catalog.definitions().values())
        .allSatisfy(
            d -> {
              ConfigOption<?> option = d.option();
              assertThat(
                      d.key().equals(option.key())
                          || java.util.stream.StreamSupport.stream(
                                  option.fallbackKeys().spliterator(), false)
                              .anyMatch(f -> f.getKey().equals(d.key())))
                  .as(d.key())
                  .isTrue();
            });
  }

  @Test
  void closestKeyIsSuggestedForASmallTypo() {
    assertThat(catalog.closest("taskmanager.numberOfTaskSlot"))
        .contains("taskmanager.numberOfTaskSlots");
    assertThat(catalog.closest("completely.unrelated.words")).isEmpty();
  }
}
