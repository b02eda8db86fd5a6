package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The FlinkDeployment manifests, checked structurally (the operator's CRD classes are not available
 * here): a Flink 1.19 session cluster, GPUs requested in the task manager pod template as many as
 * the slots and the external-resource amount, GPU node placement, the shared volume mounted at
 * /polyak by every pod, and the same Flink settings as the standalone configuration files.
 */
class FlinkDeploymentTest {
  private static final String MAIN_CONTAINER = "flink-main-container";
  private static final String GPU = "nvidia.com/gpu";

  /**
   * Set by the operator and Flink's native Kubernetes mode from the spec, so left out of
   * flinkConfiguration.
   */
  private static final Set<String> SET_BY_KUBERNETES =
      Set.of(
          "jobmanager.rpc.address",
          "rest.address",
          "jobmanager.bind-host",
          "taskmanager.bind-host",
          "rest.bind-address",
          "taskmanager.memory.process.size",
          "jobmanager.memory.process.size");

  /** Kubernetes-only settings: job manager high availability through ConfigMaps. */
  private static final Set<String> KUBERNETES_ONLY =
      Set.of("high-availability.type", "high-availability.storageDir");

  @Test
  void bothAreFlink119SessionClustersInNativeMode() {
    for (String name : List.of("polyak-gpu", "polyak-cpu")) {
      KubernetesManifests.Manifest deployment = KubernetesManifests.get("FlinkDeployment", name);

      assertThat(deployment.text("apiVersion")).contains("flink.apache.org/v1beta1");
      assertThat(deployment.text("spec/flinkVersion")).contains("v1_19");
      assertThat(deployment.text("spec/mode")).contains("native");
      assertThat(YamlDocuments.at(deployment.document(), "spec/job"))
          .as("a session cluster has no job")
          .isEmpty();
      assertThat(deployment.text("spec/image")).hasValueSatisfying(i -> assertThat(i).isNotBlank());
      assertThat(deployment.text("spec/serviceAccount")).contains("flink");
      assertThat(deployment.text("spec/jobManager/replicas")).contains("1");
      for (String role : List.of("jobManager", "taskManager")) {
        assertThat(
                MemorySize.parse(deployment.text("spec/" + role + "/resource/memory").orElseThrow())
                    .getBytes())
            .as(name + " " + role + " memory")
            .isPositive();
        assertThat(
                Double.parseDouble(deployment.text("spec/" + role + "/resource/cpu").orElseThrow()))
            .as(name + " " + role + " cpu")
            .isPositive();
        assertThat(deployment.text("spec/" + role + "/podTemplate/kind")).contains("Pod");
        assertThat(mainContainer(deployment.document(), "spec/" + role + "/podTemplate/spec"))
            .isPresent();
      }
    }
  }

  @Test
  void gpuTaskManagerPodsRequestOneGpuPerSlot() {
    KubernetesManifests.Manifest deployment =
        KubernetesManifests.get("FlinkDeployment", "polyak-gpu");
    FlinkSettings flink = FlinkSettings.ofFlinkDeployment(deployment.file(), deployment.document());
    FlinkSettings standalone =
        FlinkSettings.ofConfigFile(DeployTree.deploy().resolve("flink/gpu/config.yaml"));
    Node container =
        mainContainer(deployment.document(), "spec/taskManager/podTemplate/spec").orElseThrow();

    String gpus =
        YamlDocuments.text(container, List.of("resources", "limits", GPU))
            .orElseThrow(
                () ->
                    new AssertionError(
                        "the task manager pod template requests no "
                            + GPU
                            + " in resources.limits"));
    assertThat(flink.value("taskmanager.numberOfTaskSlots")).contains(gpus);
    assertThat(flink.value("external-resources")).contains("gpu");
    assertThat(flink.value("external-resource.gpu.amount")).contains(gpus);
    assertThat(flink.value("external-resource.gpu.kubernetes.config-key")).contains(GPU);
    assertThat(standalone.value("taskmanager.numberOfTaskSlots")).contains(gpus);
    assertThat(standalone.value("external-resource.gpu.amount")).contains(gpus);
    YamlDocuments.text(container, List.of("resources", "requests", GPU))
        .ifPresent(r -> assertThat(r).isEqualTo(gpus));
  }

  @Test
  void gpuTaskManagersLandOnGpuNodesAndTheJobManagerDoesNot() {
    Node deployment = KubernetesManifests.get("FlinkDeployment", "polyak-gpu").document();

    assertThat(YamlDocuments.at(deployment, "spec/taskManager/podTemplate/spec/nodeSelector"))
        .isPresent();
    assertThat(YamlDocuments.items(deployment, "spec/taskManager/podTemplate/spec/tolerations"))
        .anySatisfy(
            t -> {
              assertThat(YamlDocuments.text(t, "key")).contains(GPU);
              assertThat(YamlDocuments.text(t, "effect")).contains("NoSchedule");
            });
    assertThat(YamlDocuments.items(deployment, "spec/jobManager/podTemplate/spec/tolerations"))
        .isEmpty();
    Node jobManager = mainContainer(deployment, "spec/jobManager/podTemplate/spec").orElseThrow();
    assertThat(YamlDocuments.text(jobManager, List.of("resources", "limits", GPU))).isEmpty();
  }

  @Test
  void cpuClusterAsksForNoGpu() {
    KubernetesManifests.Manifest deployment =
        KubernetesManifests.get("FlinkDeployment", "polyak-cpu");
    FlinkSettings flink = FlinkSettings.ofFlinkDeployment(deployment.file(), deployment.document());

    assertThat(flink.asMap().keySet()).noneMatch(k -> k.startsWith("external-resource"));
    Node container =
        mainContainer(deployment.document(), "spec/taskManager/podTemplate/spec").orElseThrow();
    assertThat(YamlDocuments.text(container, List.of("resources", "limits", GPU))).isEmpty();
  }

  @Test
  void everyPodMountsTheSharedReadWriteManyClaimAtPolyak() {
    KubernetesManifests.Manifest claim =
        KubernetesManifests.get("PersistentVolumeClaim", "polyak-shared");
    assertThat(YamlDocuments.items(claim.document(), "spec/accessModes"))
        .extracting(n -> ((org.yaml.snakeyaml.nodes.ScalarNode) n).getValue())
        .contains("ReadWriteMany");
    MemorySize.parse(
        claim
            .text("spec/resources/requests/storage")
            .orElseThrow()
            .replace("Ti", "t")
            .replace("Gi", "g"));

    for (String name : List.of("polyak-gpu", "polyak-cpu")) {
      Node deployment = KubernetesManifests.get("FlinkDeployment", name).document();
      for (String role : List.of("jobManager", "taskManager")) {
        assertThat(
                claimMountedAt(
                    deployment, "spec/" + role + "/podTemplate/spec", MAIN_CONTAINER, "/polyak"))
            .as(name + " " + role)
            .contains(claim.name());
      }
    }
    Node client = KubernetesManifests.get("Pod", "polyak-client").document();
    assertThat(claimMountedAt(client, "spec", "polyak", "/polyak")).contains(claim.name());
  }

  @Test
  void everyManifestIsInOneNamespace() {
    assertThat(KubernetesManifests.all())
        .extracting(m -> m.text("metadata/namespace").orElse("(none)"))
        .containsOnly("polyak");
  }

  @Test
  void podsThatShareTheVolumeRunAsTheFlinkImagesUser() {
    List<Node> podSpecs =
        List.of(
            YamlDocuments.at(
                    KubernetesManifests.get("FlinkDeployment", "polyak-gpu").document(),
                    "spec/jobManager/podTemplate/spec")
                .orElseThrow(),
            YamlDocuments.at(
                    KubernetesManifests.get("FlinkDeployment", "polyak-gpu").document(),
                    "spec/taskManager/podTemplate/spec")
                .orElseThrow(),
            YamlDocuments.at(
                    KubernetesManifests.get("FlinkDeployment", "polyak-cpu").document(),
                    "spec/jobManager/podTemplate/spec")
                .orElseThrow(),
            YamlDocuments.at(
                    KubernetesManifests.get("FlinkDeployment", "polyak-cpu").document(),
                    "spec/taskManager/podTemplate/spec")
                .orElseThrow(),
            YamlDocuments.at(KubernetesManifests.get("Pod", "polyak-client").document(), "spec")
                .orElseThrow());
    // uid and gid 9999: the user 'flink' of the official Flink images
    assertThat(podSpecs)
        .allSatisfy(
            spec -> {
              assertThat(YamlDocuments.text(spec, "securityContext/runAsUser")).contains("9999");
              assertThat(YamlDocuments.text(spec, "securityContext/fsGroup")).contains("9999");
            });
  }

  @Test
  void highAvailabilityStateIsOnTheSharedVolume() {
    for (String name : List.of("polyak-gpu", "polyak-cpu")) {
      KubernetesManifests.Manifest deployment = KubernetesManifests.get("FlinkDeployment", name);
      FlinkSettings flink =
          FlinkSettings.ofFlinkDeployment(deployment.file(), deployment.document());

      assertThat(flink.value("high-availability.type")).contains("kubernetes");
      assertThat(flink.value("high-availability.storageDir"))
          .hasValueSatisfying(d -> assertThat(d).startsWith("file:///polyak/"));
    }
  }

  @Test
  void flinkConfigurationMirrorsTheStandaloneConfigFile() {
    for (String variant : List.of("gpu", "cpu")) {
      KubernetesManifests.Manifest deployment =
          KubernetesManifests.get("FlinkDeployment", "polyak-" + variant);
      Map<String, String> kubernetes =
          FlinkSettings.ofFlinkDeployment(deployment.file(), deployment.document()).asMap();
      Map<String, String> standalone =
          FlinkSettings.ofConfigFile(
                  DeployTree.deploy().resolve("flink/" + variant + "/config.yaml"))
              .asMap();

      standalone.forEach(
          (key, value) -> {
            if (!SET_BY_KUBERNETES.contains(key)) {
              assertThat(kubernetes.get(key)).as("%s: %s", variant, key).isEqualTo(value);
            }
          });
      assertThat(kubernetes.keySet())
          .as(variant)
          .allSatisfy(
              key ->
                  assertThat(standalone.containsKey(key) || KUBERNETES_ONLY.contains(key))
                      .as(key)
                      .isTrue());
      assertThat(SET_BY_KUBERNETES)
          .as(variant)
          .allSatisfy(key -> assertThat(kubernetes).doesNotContainKey(key));
      assertThat(
              MemorySize.parse(deployment.text("spec/taskManager/resource/memory").orElseThrow()))
          .isEqualTo(MemorySize.parse(standalone.get("taskmanager.memory.process.size")));
      assertThat(MemorySize.parse(deployment.text("spec/jobManager/resource/memory").orElseThrow()))
          .isEqualTo(MemorySize.parse(standalone.get("jobmanager.memory.process.size")));
    }
  }

  @Test
  void nothingIsMountedOverThePyTorchTheImageUnpacked() {
    Path cacheDir =
        Path.of(
            DockerfileInstructions.read(DeployTree.deploy().resolve("k8s/Dockerfile"))
                .env("DJL_CACHE_DIR")
                .orElseThrow());
    for (Node document :
        KubernetesManifests.all().stream().map(KubernetesManifests.Manifest::document).toList()) {
      for (Node container : containers(document)) {
        assertThat(YamlDocuments.items(container, "volumeMounts"))
            .allSatisfy(
                mount -> {
                  Path mountPath = Path.of(YamlDocuments.text(mount, "mountPath").orElseThrow());
                  assertThat(cacheDir.startsWith(mountPath))
                      .as("%s hides the image's %s", mountPath, cacheDir)
                      .isFalse();
                });
      }
    }
  }

  @Test
  void theClientPodRunsTheGpuClustersImage() {
    Node client = KubernetesManifests.get("Pod", "polyak-client").document();
    assertThat(YamlDocuments.text(YamlDocuments.items(client, "spec/containers").get(0), "image"))
        .isEqualTo(KubernetesManifests.get("FlinkDeployment", "polyak-gpu").text("spec/image"));
  }

  /**
   * Every container of every pod spec in a manifest: a Pod's, and a FlinkDeployment's pod
   * templates.
   */
  private static List<Node> containers(Node document) {
    return Stream.of(
            "spec",
            "spec/podTemplate/spec",
            "spec/jobManager/podTemplate/spec",
            "spec/taskManager/podTemplate/spec")
        .flatMap(path -> YamlDocuments.at(document, path).stream())
        .flatMap(spec -> YamlDocuments.items(spec, "containers").stream())
        .toList();
  }

  /** The container named {@code name} of the pod spec at {@code path} ("" for the node itself). */
  private static Optional<Node> container(Node node, String path, String name) {
    Node spec = path.isEmpty() ? node : YamlDocuments.at(node, path).orElse(null);
    if (spec == null) {
      return Optional.empty();
    }
    return YamlDocuments.items(spec, "containers").stream()
        .filter(c -> YamlDocuments.text(c, "name").orElse("").equals(name))
        .findFirst();
  }

  private static Optional<Node> mainContainer(Node node, String path) {
    return container(node, path, MAIN_CONTAINER);
  }

  /** The claim name of the volume that container {@code name} mounts at {@code mountPath}. */
  private static Optional<String> claimMountedAt(
      Node node, String podSpecPath, String name, String mountPath) {
    Node spec = YamlDocuments.at(node, podSpecPath).orElseThrow();
    Optional<String> volume =
        container(spec, "", name).stream()
            .flatMap(c -> YamlDocuments.items(c, "volumeMounts").stream())
            .filter(m -> YamlDocuments.text(m, "mountPath").orElse("").equals(mountPath))
            .map(m -> YamlDocuments.text(m, "name").orElseThrow())
            .findFirst();
    return volume
        .flatMap(
            v ->
                YamlDocuments.items(spec, "volumes").stream()
                    .filter(n -> YamlDocuments.text(n, "name").orElse("").equals(v))
                    .findFirst())
        .flatMap(n -> YamlDocuments.text(n, "persistentVolumeClaim/claimName"));
  }
}
