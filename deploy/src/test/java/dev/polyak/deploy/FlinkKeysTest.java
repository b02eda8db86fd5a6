package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every key of every Flink configuration in the deployment is one Flink 1.19 defines, and not a
 * deprecated one.
 */
class FlinkKeysTest {
  private static final Path FIXTURES = Path.of("src/test/resources/FlinkKeysTest");
  private final FlinkKeyCheck check = new FlinkKeyCheck(FlinkOptionCatalog.onClasspath());

  static Stream<FlinkSettings> configurations() {
    return FlinkSettings.all().stream();
  }

  @Test
  void theDeploymentHasItsFiveConfigurations() {
    assertThat(FlinkSettings.all())
        .extracting(FlinkSettings::source)
        .containsExactlyInAnyOrder(
            "deploy/flink/cpu/config.yaml",
            "deploy/flink/gpu/config.yaml",
            "deploy/flink/local/config.yaml",
            "deploy/k8s/polyak-cpu.yaml (FlinkDeployment polyak-cpu spec.flinkConfiguration)",
            "deploy/k8s/polyak-gpu.yaml (FlinkDeployment polyak-gpu spec.flinkConfiguration)");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configurations")
  void everyKeyIsAFlinkOption(FlinkSettings configuration) {
    assertThat(configuration.settings()).isNotEmpty();
    assertThat(check.problems(configuration)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configurations")
  void noKeyIsSetTwice(FlinkSettings configuration) {
    List<String> seen = new ArrayList<>();
    List<String> twice = new ArrayList<>();
    configuration.settings().forEach(s -> (seen.contains(s.key()) ? twice : seen).add(s.key()));
    assertThat(twice).as(configuration.source()).isEmpty();
  }

  @Test
  void aMisspelledKeyFailsNamingTheKeyTheFileAndTheLine() {
    FlinkSettings misspelled =
        FlinkSettings.ofConfigFile(FIXTURES.resolve("misspelled/config.yaml"));

    List<String> problems = check.problems(misspelled);

    assertThat(problems).hasSize(1);
    assertThat(problems.get(0))
        .contains("src/test/resources/FlinkKeysTest/misspelled/config.yaml")
        .contains("line 3")
        .contains("unknown Flink configuration key 'taskmanager.numberOfTaskSlot'")
        .contains("did you mean 'taskmanager.numberOfTaskSlots'?");
  }

  @Test
  void aMisspelledKeyInAFlinkDeploymentFailsNamingTheManifest() {
    Path file = FIXTURES.resolve("deployment/misspelled-deployment.yaml");
    FlinkSettings deployment = FlinkSettings.ofFlinkDeployment(file, YamlDocuments.single(file));

    assertThat(check.problems(deployment))
        .singleElement()
        .asString()
        .contains(
            "misspelled-deployment.yaml (FlinkDeployment typo spec.flinkConfiguration), line 9")
        .contains("'heartbeat.rpc-failure-treshold'")
        .contains("did you mean 'heartbeat.rpc-failure-threshold'?");
  }

  @Test
  void aDeprecatedKeyFailsAndNamesItsReplacement() {
    FlinkSettings legacy = inMemory(Map.of("env.java.opts", "-Dai.djl.offline=true"));

    assertThat(check.problems(legacy))
        .singleElement()
        .asString()
        .contains("'env.java.opts' is deprecated in Flink 1.19")
        .contains("use 'env.java.opts.all'");
  }

  @Test
  void theEvenlySpreadOutSlotsKeyIsDeprecatedInFlink119() {
    FlinkSettings old = inMemory(Map.of("cluster.evenly-spread-out-slots", "true"));

    assertThat(check.problems(old))
        .singleElement()
        .asString()
        .contains("'cluster.evenly-spread-out-slots' is deprecated in Flink 1.19")
        .contains("ClusterOptions.EVENLY_SPREAD_OUT_SLOTS_STRATEGY");
  }

  @Test
  void externalResourceKeysMustNameADeclaredResourceAndAKnownSuffix() {
    FlinkSettings good =
        inMemory(
            ordered(
                "external-resources", "gpu",
                "external-resource.gpu.amount", "8",
                "external-resource.gpu.driver-factory.class", FlinkKeyCheck.GPU_DRIVER_FACTORY,
                "external-resource.gpu.param.discovery-script.path",
                    "/opt/flink/plugins/external-resource-gpu/nvidia-gpu-discovery.sh",
                "external-resource.gpu.param.discovery-script.args", "",
                "external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu"));
    assertThat(check.problems(good)).isEmpty();

    FlinkSettings bad =
        inMemory(
            ordered(
                "external-resources", "gpu",
                "external-resource.gpu.driver-factory.class", FlinkKeyCheck.GPU_DRIVER_FACTORY,
                "external-resource.gpx.amount", "8",
                "external-resource.gpu.amout", "8",
                "external-resource.gpu.param.discovery-script.pth", "/x"));
    assertThat(check.problems(bad))
        .satisfiesExactly(
            p ->
                assertThat(p)
                    .contains("'external-resource.gpx.amount'")
                    .contains("'gpx' is not listed in external-resources"),
            p ->
                assertThat(p)
                    .contains("'external-resource.gpu.amout'")
                    .contains("unknown external-resource key 'amout'"),
            p -> assertThat(p).contains("the GPU driver has no parameter 'discovery-script.pth'"));
  }

  @Test
  void metricReporterFamiliesComeFromFlinksSuffixOptions() {
    FlinkSettings reporter =
        inMemory(
            ordered(
                "metrics.reporters", "prom",
                "metrics.reporter.prom.factory.class",
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                "metrics.reporter.prom.port", "9249",
                "metrics.reporter.prom.interval", "30 s"));
    assertThat(check.problems(reporter)).isEmpty();
    assertThat(check.problems(inMemory(Map.of("metrics.reporterz.prom.port", "9249")))).hasSize(1);
  }

  private static FlinkSettings inMemory(Map<String, String> settings) {
    List<FlinkSettings.Setting> list = new ArrayList<>();
    int line = 1;
    for (Map.Entry<String, String> e : settings.entrySet()) {
      list.add(new FlinkSettings.Setting(e.getKey(), e.getValue(), line++, true));
    }
    return new FlinkSettings(Path.of("in-memory.yaml"), "", list);
  }

  private static Map<String, String> ordered(String... keysAndValues) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
