package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every YAML file of the deployment parses, and every Kubernetes document says what it is. */
class YamlFilesTest {
  @Test
  void everyYamlFileUnderDeployParses() {
    List<Path> files = DeployTree.yamlFiles();

    assertThat(files)
        .extracting(DeployTree::shown)
        .contains(
            "deploy/flink/cpu/config.yaml",
            "deploy/flink/gpu/config.yaml",
            "deploy/k8s/polyak-gpu.yaml",
            "deploy/k8s/polyak-cpu.yaml",
            "deploy/k8s/polyak-shared.yaml",
            "deploy/k8s/polyak-client.yaml",
            "deploy/k8s/sweep-100-seeds.yaml");
    assertThat(files)
        .allSatisfy(f -> assertThat(YamlDocuments.read(f)).as(DeployTree.shown(f)).isNotEmpty());
  }

  @Test
  void everyKubernetesDocumentHasAnApiVersionAKindAndAName() {
    List<KubernetesManifests.Manifest> manifests = KubernetesManifests.all();

    assertThat(manifests)
        .extracting(m -> m.kind() + "/" + m.name())
        .containsExactlyInAnyOrder(
            "FlinkDeployment/polyak-gpu",
            "FlinkDeployment/polyak-cpu",
            "PersistentVolumeClaim/polyak-shared",
            "Pod/polyak-client",
            "NetworkPolicy/polyak-default-deny-ingress",
            "NetworkPolicy/polyak-gpu-jobmanager",
            "NetworkPolicy/polyak-gpu-taskmanager",
            "NetworkPolicy/polyak-cpu-jobmanager",
            "NetworkPolicy/polyak-cpu-taskmanager");
    assertThat(manifests)
        .allSatisfy(m -> assertThat(m.text("apiVersion")).as(m.name()).isPresent());
  }

  @Test
  void aBrokenYamlFileIsNamedInTheError() {
    Path broken = Path.of("src/test/resources/YamlFilesTest/broken.yaml");

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> YamlDocuments.read(broken))
        .hasMessageContaining("broken.yaml")
        .hasMessageContaining("not valid YAML");
  }
}
