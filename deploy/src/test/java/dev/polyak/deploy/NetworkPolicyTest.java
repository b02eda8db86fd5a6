package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.deploy.NetworkPolicies.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Every FlinkDeployment's job manager and task managers accept connections only on their fixed
 * ports and only from the pods that need them: the policies of deploy/k8s are evaluated, by
 * Kubernetes' rules ({@link NetworkPolicies}), for each pair of the pods that will exist (both
 * clusters' job managers and task managers with the labels Flink gives them, the client pod with
 * its manifest's labels, the operator, Prometheus, and strangers), and the admitted ports are
 * compared with the ports each FlinkDeployment's flinkConfiguration fixes.
 */
class NetworkPolicyTest {
  private static final String NAMESPACE = "polyak";
  private static final List<String> CLUSTERS = List.of("polyak-gpu", "polyak-cpu");
  private static final Pod OPERATOR =
      new Pod(
          "the Flink Kubernetes Operator",
          "flink-operator",
          Map.of("app.kubernetes.io/name", "flink-kubernetes-operator"));
  private static final Pod PROMETHEUS =
      new Pod("Prometheus", "monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
  private static final Pod STRANGER =
      new Pod("another pod of the namespace", NAMESPACE, Map.of("app", "something-else"));
  private static final Pod OUTSIDER =
      new Pod("a pod of another namespace", "default", Map.of("app", "polyak-client"));

  private final NetworkPolicies policies = new NetworkPolicies(KubernetesManifests.all());

  /**
   * The labels Flink 1.19's native Kubernetes mode gives a cluster's pods (its
   * org.apache.flink.kubernetes.utils.Constants: type = flink-native-kubernetes, app = the cluster
   * id, component = jobmanager or taskmanager); the operator's cluster id is the FlinkDeployment's
   * name.
   */
  static Pod flinkPod(String cluster, String component) {
    return new Pod(
        cluster + " " + component,
        NAMESPACE,
        Map.of("type", "flink-native-kubernetes", "app", cluster, "component", component));
  }

  static Pod client() {
    KubernetesManifests.Manifest pod = KubernetesManifests.get("Pod", "polyak-client");
    return new Pod(
        "the client pod", pod.text("metadata/namespace").orElseThrow(), labels(pod.document()));
  }

  @Test
  void eachJobManagerAdmitsRestFromTheClientAndOperatorAndRpcAndBlobFromItsTaskManagersOnly() {
    for (String cluster : CLUSTERS) {
      Map<String, String> flink = flinkConfiguration(cluster);
      Pod jobManager = flinkPod(cluster, "jobmanager");
      Map<Pod, Set<Integer>> expected = nothingFromAnyone();
      expected.put(client(), Set.of(port(flink, "rest.port")));
      expected.put(OPERATOR, Set.of(port(flink, "rest.port")));
      expected.put(
          flinkPod(cluster, "taskmanager"),
          Set.of(port(flink, "jobmanager.rpc.port"), port(flink, "blob.server.port")));
      expected.put(PROMETHEUS, Set.of(port(flink, "metrics.reporter.prom.port")));

      assertThat(admittedBy(everyone(), jobManager)).as(jobManager.what()).isEqualTo(expected);
    }
  }

  @Test
  void eachClustersTaskManagersAdmitOnlyTheirJobManagerAndEachOther() {
    for (String cluster : CLUSTERS) {
      Map<String, String> flink = flinkConfiguration(cluster);
      Pod taskManager = flinkPod(cluster, "taskmanager");
      Map<Pod, Set<Integer>> expected = nothingFromAnyone();
      expected.put(
          flinkPod(cluster, "jobmanager"),
          Set.of(
              port(flink, "taskmanager.rpc.port"),
              port(flink, "metrics.internal.query-service.port")));
      expected.put(taskManager, Set.of(port(flink, "taskmanager.data.port")));
      expected.put(PROMETHEUS, Set.of(port(flink, "metrics.reporter.prom.port")));

      assertThat(admittedBy(everyone(), taskManager)).as(taskManager.what()).isEqualTo(expected);
    }
  }

  @Test
  void everyOtherPodOfTheNamespaceAcceptsNothing() {
    for (Pod pod : List.of(client(), STRANGER)) {
      assertThat(policies.selecting(pod)).as(pod.what()).isNotEmpty();
      for (Pod someone : everyone()) {
        assertThat(policies.admitted(someone, pod)).as(someone + " to " + pod).isEmpty();
      }
    }
  }

  @Test
  void thePortsThePoliciesNameAreFixedInEveryConfiguration() {
    for (String cluster : CLUSTERS) {
      Map<String, String> kubernetes = flinkConfiguration(cluster);
      Map<String, String> standalone =
          FlinkSettings.ofConfigFile(
                  DeployTree.deploy()
                      .resolve("flink/" + cluster.substring("polyak-".length()) + "/config.yaml"))
              .asMap();
      for (String key :
          List.of(
              "rest.port",
              "jobmanager.rpc.port",
              "blob.server.port",
              "taskmanager.rpc.port",
              "taskmanager.data.port",
              "metrics.internal.query-service.port",
              "metrics.reporter.prom.port")) {
        // Flink's defaults for blob.server.port, taskmanager.*.port and the query service are 0: a
        // random port
        assertThat(port(kubernetes, key)).as(cluster + " " + key).isBetween(1, 65535);
        assertThat(standalone.get(key))
            .as(cluster + " config.yaml " + key)
            .isEqualTo(kubernetes.get(key));
      }
    }
  }

  @Test
  void noPolicyAdmitsEveryPortOrEverySource() {
    assertThat(policies.policies()).isNotEmpty();
    for (KubernetesManifests.Manifest policy : policies.policies()) {
      assertThat(policy.text("metadata/namespace")).as(policy.name()).contains(NAMESPACE);
      for (Node rule : YamlDocuments.items(policy.document(), "spec/ingress")) {
        assertThat(YamlDocuments.items(rule, "from"))
            .as(policy.name() + " rule at line " + YamlDocuments.line(rule) + " names its sources")
            .isNotEmpty();
        assertThat(YamlDocuments.items(rule, "ports"))
            .as(policy.name() + " rule at line " + YamlDocuments.line(rule) + " names its ports")
            .isNotEmpty();
      }
    }
  }

  @Test
  void theEvaluationSeesAMissingPolicyAndAnOpenRule() {
    // without the policies, every pod admits everyone on every port
    NetworkPolicies none = new NetworkPolicies(List.of());
    assertThat(none.admitted(STRANGER, flinkPod("polyak-gpu", "jobmanager")))
        .containsExactly(NetworkPolicies.ANY_PORT);
    // a rule without sources admits any pod, even of another namespace
    KubernetesManifests.Manifest open =
        manifest(
            String.join(
                "\n",
                "apiVersion: networking.k8s.io/v1",
                "kind: NetworkPolicy",
                "metadata: {name: open, namespace: polyak}",
                "spec: {podSelector: {matchLabels: {app: polyak-gpu}}, ingress: [{ports: [{port: 8081}]}]}"));
    assertThat(
            new NetworkPolicies(List.of(open))
                .admitted(OUTSIDER, flinkPod("polyak-gpu", "jobmanager")))
        .containsExactly(8081);
    // a pod selector alone means the policy's namespace, not the same labels elsewhere
    KubernetesManifests.Manifest client =
        manifest(
            String.join(
                "\n",
                "apiVersion: networking.k8s.io/v1",
                "kind: NetworkPolicy",
                "metadata: {name: client, namespace: polyak}",
                "spec: {podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: polyak-client}}}],"
                    + " ports: [{port: 8081}]}]}"));
    assertThat(new NetworkPolicies(List.of(client)).admitted(OUTSIDER, STRANGER)).isEmpty();
    assertThat(new NetworkPolicies(List.of(client)).admitted(client(), STRANGER))
        .containsExactly(8081);
    assertThatThrownBy(
            () ->
                NetworkPolicies.selects(
                    YamlDocuments.at(
                            manifest(
                                    "kind: X\nspec: {s: {matchExpressions: [{key: app, operator: Exists}]}}")
                                .document(),
                            "spec/s")
                        .orElseThrow(),
                    Map.of()))
        .hasMessageContaining("matchExpressions");
  }

  /** For each pod of {@code sources}, the ports of {@code target} it may connect to. */
  private Map<Pod, Set<Integer>> admittedBy(List<Pod> sources, Pod target) {
    Map<Pod, Set<Integer>> admitted = new LinkedHashMap<>();
    for (Pod source : sources) {
      admitted.put(source, new TreeSet<>(policies.admitted(source, target)));
    }
    return admitted;
  }

  /** Every pod admitted nowhere: what a test then opens port by port. */
  private static Map<Pod, Set<Integer>> nothingFromAnyone() {
    Map<Pod, Set<Integer>> none = new LinkedHashMap<>();
    everyone().forEach(pod -> none.put(pod, Set.of()));
    return none;
  }

  private static List<Pod> everyone() {
    List<Pod> pods = new ArrayList<>();
    for (String cluster : CLUSTERS) {
      pods.add(flinkPod(cluster, "jobmanager"));
      pods.add(flinkPod(cluster, "taskmanager"));
    }
    pods.addAll(List.of(client(), OPERATOR, PROMETHEUS, STRANGER, OUTSIDER));
    return pods;
  }

  private static Map<String, String> flinkConfiguration(String cluster) {
    KubernetesManifests.Manifest deployment = KubernetesManifests.get("FlinkDeployment", cluster);
    return FlinkSettings.ofFlinkDeployment(deployment.file(), deployment.document()).asMap();
  }

  /** A port setting as one fixed port (not a range, a list, or 0 for "any free one"). */
  private static int port(Map<String, String> flink, String key) {
    String value = flink.get(key);
    assertThat(value).as(key + " is set").isNotNull();
    assertThat(value).as(key + " is one port number").matches("[0-9]+");
    return Integer.parseInt(value);
  }

  private static Map<String, String> labels(Node document) {
    Map<String, String> labels = new LinkedHashMap<>();
    YamlDocuments.at(document, "metadata/labels")
        .ifPresent(
            node -> {
              for (NodeTuple tuple : ((MappingNode) node).getValue()) {
                labels.put(
                    ((ScalarNode) tuple.getKeyNode()).getValue(),
                    ((ScalarNode) tuple.getValueNode()).getValue());
              }
            });
    return labels;
  }

  private static KubernetesManifests.Manifest manifest(String yaml) {
    Node document = new org.yaml.snakeyaml.Yaml().compose(new java.io.StringReader(yaml));
    return new KubernetesManifests.Manifest(java.nio.file.Path.of("inline.yaml"), document);
  }
}
