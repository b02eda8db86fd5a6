package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every value reads as its option's type, the way Flink reads it: a config.yaml through Flink's own
 * loader, a FlinkDeployment's strings under both of Flink 1.19's parsers (the operator writes the
 * configuration as a legacy flink-conf.yaml or as a standard YAML config.yaml depending on its
 * version).
 */
class FlinkValuesTest {
  private final FlinkOptionCatalog catalog = FlinkOptionCatalog.onClasspath();
  private final FlinkValueCheck check = new FlinkValueCheck(catalog);
  private final boolean standardYamlBefore = GlobalConfiguration.isStandardYaml();

  @AfterEach
  void restoreParserMode() {
    GlobalConfiguration.setStandardYaml(standardYamlBefore);
  }

  static Stream<FlinkSettings> configFiles() {
    return FlinkSettings.all().stream().filter(s -> s.where().isEmpty());
  }

  static Stream<FlinkSettings> deployments() {
    return FlinkSettings.all().stream().filter(s -> !s.where().isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configFiles")
  void flinkLoadsTheConfigFileAsWritten(FlinkSettings file) {
    Configuration loaded =
        GlobalConfiguration.loadConfiguration(file.file().getParent().toString());

    assertThat(GlobalConfiguration.isStandardYaml())
        .as("config.yaml is read with the standard YAML parser")
        .isTrue();
    assertThat(loaded.keySet()).containsExactlyInAnyOrderElementsOf(file.asMap().keySet());
    Map<String, String> asFlinkSeesIt = loaded.toMap();
    file.asMap()
        .forEach((key, value) -> assertThat(asFlinkSeesIt.get(key)).as(key).isEqualTo(value));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configFiles")
  void everyValueOfAConfigFileReadsAsItsOptionsType(FlinkSettings file) {
    Configuration loaded =
        GlobalConfiguration.loadConfiguration(file.file().getParent().toString());

    assertThat(check.problems(file, loaded)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deployments")
  void everyValueOfAFlinkDeploymentIsAStringThatReadsAsItsOptionsType(FlinkSettings deployment) {
    assertThat(deployment.settings())
        .allSatisfy(
            s ->
                assertThat(s.string())
                    .as(
                        "%s, line %d: %s must be a quoted string (the CRD types flinkConfiguration as string to string)",
                        deployment.source(), s.line(), s.key())
                    .isTrue());
    for (boolean standardYaml : new boolean[] {false, true}) {
      GlobalConfiguration.setStandardYaml(standardYaml);
      assertThat(check.problems(deployment, deployment.toConfiguration()))
          .as("standard YAML: " + standardYaml)
          .isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configFiles")
  void theListOfExternalResourcesReadsAsOneNamePerResource(FlinkSettings file) {
    Configuration loaded =
        GlobalConfiguration.loadConfiguration(file.file().getParent().toString());
    List<String> resources =
        loaded.get(org.apache.flink.configuration.ExternalResourceOptions.EXTERNAL_RESOURCE_LIST);

    assertThat(resources)
        .isEqualTo(file.value("external-resources").map(List::of).orElse(List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allConfigurations")
  void everyMemorySizeParsesWithFlinksMemorySize(FlinkSettings configuration) {
    List<FlinkSettings.Setting> sizes =
        configuration.settings().stream().filter(s -> s.key().contains(".memory.")).toList();

    assertThat(sizes).isNotEmpty();
    assertThat(sizes)
        .allSatisfy(
            s -> assertThat(MemorySize.parse(s.value()).getBytes()).as(s.key()).isPositive());
  }

  static Stream<FlinkSettings> allConfigurations() {
    return FlinkSettings.all().stream();
  }

  @Test
  void aValueOfTheWrongTypeFailsNamingTheKeyAndTheValue() {
    FlinkSettings wrong =
        new FlinkSettings(
            Path.of("in-memory.yaml"),
            "",
            List.of(
                new FlinkSettings.Setting("heartbeat.interval", "5 s", 1, true),
                new FlinkSettings.Setting("taskmanager.load-balance.mode", "SLOT", 2, true),
                new FlinkSettings.Setting(
                    "taskmanager.memory.task.off-heap.size", "440gib", 3, true),
                new FlinkSettings.Setting("external-resource.gpu.amount", "eight", 4, true)));

    List<String> problems = check.problems(wrong, wrong.toConfiguration());

    assertThat(problems)
        .satisfiesExactly(
            p -> assertThat(p).contains("line 1: 'heartbeat.interval' = '5 s'"),
            p -> assertThat(p).contains("line 2: 'taskmanager.load-balance.mode' = 'SLOT'"),
            p ->
                assertThat(p)
                    .contains("line 3: 'taskmanager.memory.task.off-heap.size' = '440gib'"),
            p -> assertThat(p).contains("line 4: 'external-resource.gpu.amount' = 'eight'"));
  }

  @SuppressWarnings("unused")
  private static <T> T quietly(Supplier<T> supplier) {
    return supplier.get();
  }
}
