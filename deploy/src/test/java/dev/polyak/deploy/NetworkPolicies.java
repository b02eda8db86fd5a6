package dev.polyak.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * What the NetworkPolicies of deploy/k8s admit, by Kubernetes' rules (networking.k8s.io/v1): a pod
 * that no ingress policy selects accepts everything; once one does, it accepts only what some rule
 * of the policies selecting it admits. A rule without {@code from} admits every source, one without
 * {@code ports} every port; a peer with only a {@code podSelector} means pods of the policy's own
 * namespace, with only a {@code namespaceSelector} every pod of the namespaces it selects, with
 * both the pods it selects in those namespaces. Namespaces carry {@code
 * kubernetes.io/metadata.name}.
 */
final class NetworkPolicies {
  /** Stands for "every port" in an answer. */
  static final int ANY_PORT = -1;

  /**
   * A pod as a policy sees it.
   *
   * @param what a name for messages
   * @param namespace its namespace
   * @param labels its labels
   */
  record Pod(String what, String namespace, Map<String, String> labels) {
    @Override
    public String toString() {
      return what;
    }
  }

  private final List<KubernetesManifests.Manifest> policies;

  NetworkPolicies(List<KubernetesManifests.Manifest> manifests) {
    this.policies = manifests.stream().filter(m -> m.kind().equals("NetworkPolicy")).toList();
  }

  List<KubernetesManifests.Manifest> policies() {
    return policies;
  }

  /** The policies that govern ingress to {@code pod}. */
  List<KubernetesManifests.Manifest> selecting(Pod pod) {
    return policies.stream()
        .filter(p -> p.text("metadata/namespace").orElse("default").equals(pod.namespace()))
        .filter(p -> governsIngress(p.document()))
        .filter(
            p ->
                selects(
                    YamlDocuments.at(p.document(), "spec/podSelector")
                        .orElseThrow(
                            () -> new AssertionError(p.name() + " has no spec.podSelector")),
                    pod.labels()))
        .toList();
  }

  /** The TCP ports of {@code to} that {@code from} may connect to ({@link #ANY_PORT} for all). */
  Set<Integer> admitted(Pod from, Pod to) {
    List<KubernetesManifests.Manifest> governing = selecting(to);
    if (governing.isEmpty()) {
      return Set.of(ANY_PORT);
    }
    Set<Integer> ports = new TreeSet<>();
    for (KubernetesManifests.Manifest policy : governing) {
      String namespace = policy.text("metadata/namespace").orElse("default");
      for (Node rule : YamlDocuments.items(policy.document(), "spec/ingress")) {
        List<Node> peers = YamlDocuments.items(rule, "from");
        if (!YamlDocuments.at(rule, "from").isPresent()
            || peers.stream().anyMatch(peer -> admits(peer, namespace, from))) {
          ports.addAll(ports(policy, rule));
        }
      }
    }
    return ports;
  }

  private static boolean admits(Node peer, String policyNamespace, Pod from) {
    if (YamlDocuments.at(peer, "ipBlock").isPresent()) {
      throw new AssertionError(
          "an ipBlock peer admits addresses outside the cluster's pods: "
              + YamlDocuments.line(peer));
    }
    Optional<Node> pods = YamlDocuments.at(peer, "podSelector");
    Optional<Node> namespaces = YamlDocuments.at(peer, "namespaceSelector");
    boolean namespaceMatches =
        namespaces.isPresent()
            ? selects(namespaces.get(), Map.of("kubernetes.io/metadata.name", from.namespace()))
            : from.namespace().equals(policyNamespace);
    return namespaceMatches && pods.map(selector -> selects(selector, from.labels())).orElse(true);
  }

  private static Set<Integer> ports(KubernetesManifests.Manifest policy, Node rule) {
    if (!YamlDocuments.at(rule, "ports").isPresent()) {
      return Set.of(ANY_PORT);
    }
    Set<Integer> ports = new TreeSet<>();
    for (Node port : YamlDocuments.items(rule, "ports")) {
      String protocol = YamlDocuments.text(port, "protocol").orElse("TCP");
      String number =
          YamlDocuments.text(port, "port")
              .orElseThrow(
                  () ->
                      new AssertionError(
                          policy.name()
                              + " line "
                              + YamlDocuments.line(port)
                              + ": a rule's port without a number"
                              + " admits every port"));
      if (!number.matches("[0-9]+") || YamlDocuments.at(port, "endPort").isPresent()) {
        throw new AssertionError(
            policy.name()
                + " line "
                + YamlDocuments.line(port)
                + ": name ports by number, one each ("
                + number
                + ")");
      }
      if (protocol.equals("TCP")) {
        ports.add(Integer.parseInt(number));
      }
    }
    return ports;
  }

  private static boolean governsIngress(Node policy) {
    List<Node> types = YamlDocuments.items(policy, "spec/policyTypes");
    // Without policyTypes a policy governs ingress (and egress only when it has egress rules).
    return types.isEmpty()
        || types.stream().anyMatch(t -> ((ScalarNode) t).getValue().equals("Ingress"));
  }

  /**
   * A label selector: every matchLabels entry holds ({@code {}} selects all); matchExpressions are
   * not used here.
   */
  static boolean selects(Node selector, Map<String, String> labels) {
    if (YamlDocuments.at(selector, "matchExpressions").isPresent()) {
      throw new AssertionError(
          "line "
              + YamlDocuments.line(selector)
              + ": matchExpressions are not checked by this test;"
              + " use matchLabels");
    }
    Optional<Node> match = YamlDocuments.at(selector, "matchLabels");
    if (match.isEmpty()) {
      return true;
    }
    List<String> missing = new ArrayList<>();
    for (NodeTuple tuple : ((MappingNode) match.get()).getValue()) {
      String key = ((ScalarNode) tuple.getKeyNode()).getValue();
      String value = ((ScalarNode) tuple.getValueNode()).getValue();
      if (!value.equals(labels.get(key))) {
        missing.add(key);
      }
    }
    return missing.isEmpty();
  }
}
