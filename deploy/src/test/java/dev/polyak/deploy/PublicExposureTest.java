package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.Node;

/**
 * No example or script puts a Flink endpoint on a public interface: the READMEs, docs/, the
 * runbooks and the scripts publish container ports on 127.0.0.1 only and forward nothing beyond the
 * loopback ({@link PublicExposure}); no manifest exposes a port on its node (hostNetwork, hostPort,
 * a LoadBalancer or NodePort Service); the configurations that bind Flink to 0.0.0.0 are only those
 * of deployments with their NetworkPolicy (NetworkPolicyTest) or containers published on the
 * loopback.
 */
class PublicExposureTest {
  @Test
  void noExampleOrScriptPublishesAPublicInterface() throws IOException {
    List<Path> files = examplesAndScripts();
    assertThat(files)
        .extracting(DeployTree::shown)
        .contains(
            "README.md",
            "CONTRIBUTING.md",
            "docs/cluster.md",
            "docs/cli.md",
            "deploy/README.md",
            "polyak",
            "deploy/k8s/polyak-in-image.sh");

    List<String> problems = new ArrayList<>();
    files.forEach(f -> problems.addAll(PublicExposure.problems(f)));

    assertThat(problems).isEmpty();
  }

  @Test
  void theStandaloneContainerExamplePublishesTheRestPortOnTheLoopback() throws IOException {
    String runbook = Files.readString(DeployTree.deploy().resolve("README.md"));
    assertThat(runbook).contains("-p 127.0.0.1:8081:8081");
  }

  @Test
  void noManifestOpensAPortOnItsNode() {
    for (KubernetesManifests.Manifest manifest : KubernetesManifests.all()) {
      List<String> found = new ArrayList<>();
      walk(manifest.document(), "", found);
      assertThat(found).as(manifest.kind() + " " + manifest.name()).isEmpty();
      if (manifest.kind().equals("Service")) {
        assertThat(manifest.text("spec/type").orElse("ClusterIP"))
            .as(manifest.name())
            .isEqualTo("ClusterIP");
      }
    }
    for (FlinkSettings flink : FlinkSettings.all()) {
      // Flink 1.19's default for the REST Service of a native Kubernetes cluster is ClusterIP
      assertThat(flink.value("kubernetes.rest-service.exposed.type").orElse("ClusterIP"))
          .as(flink.source())
          .isEqualTo("ClusterIP");
    }
  }

  @Test
  void everyWayOfOpeningTheClusterIsFoundWithItsLine() {
    Path open = Path.of("src/test/resources/PublicExposureTest/open.md");

    List<String> problems = PublicExposure.problems(open);

    assertThat(problems).hasSize(7);
    assertThat(problems.get(0)).contains("open.md:4: publishes port 8081:8081 on every interface");
    assertThat(problems.get(1)).contains("open.md:6: publishes port 6123:6123");
    assertThat(problems.get(2)).contains("open.md:8: publishes every exposed port");
    assertThat(problems.get(3)).contains("open.md:9: runs on the host's network");
    assertThat(problems.get(4)).contains("open.md:10: port-forwards on 0.0.0.0");
    assertThat(problems.get(5)).contains("open.md:12: binds a Flink endpoint to 0.0.0.0");
    assertThat(problems.get(6)).contains("open.md:13: exposes a Service");
  }

  /**
   * Every Markdown file of the repository (the top README, CONTRIBUTING.md, docs/, deploy/), every
   * script of deploy/ (not its test sources), and the launcher.
   */
  private static List<Path> examplesAndScripts() throws IOException {
    Path repository = DeployTree.repository();
    List<Path> files = new ArrayList<>(MarkdownDocs.all());
    files.add(repository.resolve("polyak"));
    Path deploy = DeployTree.deploy();
    try (Stream<Path> walk = Files.walk(deploy)) {
      walk.filter(Files::isRegularFile)
          .filter(
              f -> !f.startsWith(deploy.resolve("target")) && !f.startsWith(deploy.resolve("src")))
          .filter(
              f -> f.toString().endsWith(".sh") || f.getFileName().toString().equals("Dockerfile"))
          .sorted()
          .forEach(files::add);
    }
    return files;
  }

  private static void walk(Node node, String path, List<String> found) {
    if (node instanceof org.yaml.snakeyaml.nodes.MappingNode mapping) {
      for (org.yaml.snakeyaml.nodes.NodeTuple tuple : mapping.getValue()) {
        String key = ((org.yaml.snakeyaml.nodes.ScalarNode) tuple.getKeyNode()).getValue();
        if (key.equals("hostNetwork") || key.equals("hostPort")) {
          found.add(path + "/" + key + " (line " + YamlDocuments.line(tuple.getKeyNode()) + ")");
        }
        walk(tuple.getValueNode(), path + "/" + key, found);
      }
    } else if (node instanceof org.yaml.snakeyaml.nodes.SequenceNode sequence) {
      sequence.getValue().forEach(item -> walk(item, path + "[]", found));
    }
  }
}
