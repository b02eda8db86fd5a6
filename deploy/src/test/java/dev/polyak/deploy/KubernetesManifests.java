package dev.polyak.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** The Kubernetes manifests under deploy/k8s, by kind and name. */
final class KubernetesManifests {
  /**
   * One manifest.
   *
   * @param file where it is
   * @param document its YAML node tree
   */
  record Manifest(Path file, Node document) {
    String kind() {
      return YamlDocuments.text(document, "kind").orElse("");
    }

    String name() {
      return YamlDocuments.text(document, "metadata/name").orElse("");
    }

    Optional<String> text(String path) {
      return YamlDocuments.text(document, path);
    }
  }

  private KubernetesManifests() {}

  /** Every document with a {@code kind} in deploy/k8s. */
  static List<Manifest> all() {
    List<Manifest> manifests = new ArrayList<>();
    for (Path file : DeployTree.yamlFiles()) {
      if (!file.startsWith(DeployTree.deploy().resolve("k8s"))) {
        continue;
      }
      for (Node document : YamlDocuments.read(file)) {
        if (YamlDocuments.text(document, "kind").isPresent()) {
          manifests.add(new Manifest(file, document));
        }
      }
    }
    return manifests;
  }

  /** The manifest of {@code kind} named {@code name}. */
  static Manifest get(String kind, String name) {
    return all().stream()
        .filter(m -> m.kind().equals(kind) && m.name().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no " + kind + " named " + name + " under deploy/k8s"));
  }
}
