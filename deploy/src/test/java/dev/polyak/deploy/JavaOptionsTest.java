package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Flink process of every configuration gets all of deploy/jvm/java17-flink.flags (the one
 * list ./polyak and the tests use) and DJL's offline mode; so does `polyak` inside the image.
 */
class JavaOptionsTest {
  static final String OFFLINE = "-Dai.djl.offline=true";

  static List<String> flags() throws IOException {
    return Files.readAllLines(DeployTree.deploy().resolve("jvm/java17-flink.flags")).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  /**
   * Every configuration whose processes Flink's scripts start. The local cluster's
   * (deploy/flink/local/config.yaml) is not one: `polyak cluster start` puts the same flags file,
   * bundled in the jar, on each process's command line itself (LocalCluster.jvmFlags).
   */
  static Stream<FlinkSettings> configurations() {
    return FlinkSettings.all().stream()
        .filter(s -> !s.source().equals("deploy/flink/local/config.yaml"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configurations")
  void envJavaOptsAllHoldsEveryJava17FlagAndDjlOffline(FlinkSettings configuration)
      throws IOException {
    List<String> options =
        List.of(
            configuration
                .value("env.java.opts.all")
                .orElseThrow(
                    () -> new AssertionError(configuration.source() + " sets no env.java.opts.all"))
                .split("\\s+"));

    assertThat(flags()).hasSizeGreaterThan(10);
    assertThat(options).containsAll(flags()).contains(OFFLINE).doesNotHaveDuplicates();
  }

  @Test
  void theLocalClusterTakesTheFlagsFileFromTheJar() throws IOException {
    String pipelinesPom = Files.readString(DeployTree.repository().resolve("pipelines/pom.xml"));

    assertThat(pipelinesPom).contains("<include>jvm/java17-flink.flags</include>");
    assertThat(configurations()).hasSize(4);
  }

  @Test
  void thePolyakCommandInTheImageUsesTheSameFlagsFile() throws IOException {
    DockerfileInstructions docker =
        DockerfileInstructions.read(DeployTree.deploy().resolve("k8s/Dockerfile"));
    String launcher = Files.readString(DeployTree.deploy().resolve("k8s/polyak-in-image.sh"));

    assertThat(docker.of("COPY"))
        .anySatisfy(
            copy ->
                assertThat(copy.words())
                    .containsExactly(
                        "deploy/jvm/java17-flink.flags", "/opt/polyak/java17-flink.flags"));
    assertThat(launcher)
        .contains("@/opt/polyak/java17-flink.flags")
        .contains(OFFLINE)
        .contains("-jar /opt/flink/lib/polyak.jar");
    assertThat(Files.isExecutable(DeployTree.deploy().resolve("k8s/polyak-in-image.sh"))).isTrue();
  }
}
