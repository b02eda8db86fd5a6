package dev.polyak.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One Flink configuration as written in a file of the deployment: a Flink {@code config.yaml}
 * (nested maps flattened to dotted keys, as Flink 1.19 does) or the {@code spec.flinkConfiguration}
 * of a FlinkDeployment manifest.
 *
 * @param file the file
 * @param where where in the file: {@code config.yaml}, or {@code FlinkDeployment polyak-gpu
 *     spec.flinkConfiguration}
 * @param settings the keys in file order
 */
record FlinkSettings(Path file, String where, List<Setting> settings) {
  /**
   * A key and its value as written.
   *
   * @param key the flattened key
   * @param value the scalar's text (for a folded block scalar, the folded one-line text)
   * @param line 1-based line of the key
   * @param string whether YAML types the value as a string (quoted, or plain text that is no number
   *     or boolean)
   */
  record Setting(String key, String value, int line, boolean string) {}

  FlinkSettings {
    settings = List.copyOf(settings);
  }

  /**
   * {@code deploy/flink/gpu/config.yaml} or {@code deploy/k8s/polyak-gpu.yaml (FlinkDeployment
   * polyak-gpu)}.
   */
  String source() {
    return DeployTree.shown(file) + (where.isEmpty() ? "" : " (" + where + ")");
  }

  /** The value of {@code key}, if set. */
  Optional<String> value(String key) {
    return settings.stream()
        .filter(s -> s.key().equals(key))
        .map(Setting::value)
        .reduce((a, b) -> b);
  }

  /** The source, for test names. */
  @Override
  public String toString() {
    return source();
  }

  /** Keys to values, in file order. */
  Map<String, String> asMap() {
    Map<String, String> map = new LinkedHashMap<>();
    settings.forEach(s -> map.put(s.key(), s.value()));
    return map;
  }

  /** A Flink {@link Configuration} of these settings, as strings (Flink converts them on read). */
  Configuration toConfiguration() {
    return Configuration.fromMap(asMap());
  }

  /**
   * A Flink configuration file. Nested maps are flattened; keys must be scalars, values scalars.
   */
  static FlinkSettings ofConfigFile(Path file) {
    List<Setting> settings = new ArrayList<>();
    Node root = YamlDocuments.single(file);
    if (!(root instanceof MappingNode mapping)) {
      throw new IllegalArgumentException(
          DeployTree.shown(file) + ": a Flink configuration is a map of keys");
    }
    flatten(file, "", mapping, settings);
    return new FlinkSettings(file, "", settings);
  }

  /** The {@code spec.flinkConfiguration} of a FlinkDeployment document (empty when it has none). */
  static FlinkSettings ofFlinkDeployment(Path file, Node document) {
    String name = YamlDocuments.text(document, "metadata/name").orElse("?");
    List<Setting> settings = new ArrayList<>();
    Optional<Node> configuration = YamlDocuments.at(document, "spec/flinkConfiguration");
    if (configuration.isPresent()) {
      if (!(configuration.get() instanceof MappingNode mapping)) {
        throw new IllegalArgumentException(
            DeployTree.shown(file)
                + ":"
                + YamlDocuments.line(configuration.get())
                + ": spec.flinkConfiguration of "
                + name
                + " is not a map");
      }
      flatten(file, "", mapping, settings);
    }
    return new FlinkSettings(
        file, "FlinkDeployment " + name + " spec.flinkConfiguration", settings);
  }

  private static void flatten(Path file, String prefix, MappingNode mapping, List<Setting> out) {
    for (NodeTuple tuple : mapping.getValue()) {
      if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
        throw new IllegalArgumentException(
            DeployTree.shown(file)
                + ":"
                + YamlDocuments.line(tuple.getKeyNode())
                + ": a configuration key must be plain text");
      }
      String key = prefix + keyNode.getValue();
      Node value = tuple.getValueNode();
      if (value instanceof MappingNode nested) {
        flatten(file, key + ".", nested, out);
      } else if (value instanceof ScalarNode scalar) {
        out.add(
            new Setting(
                key,
                scalar.getValue(),
                YamlDocuments.line(keyNode),
                scalar.getTag().equals(Tag.STR)));
      } else {
        throw new IllegalArgumentException(
            DeployTree.shown(file)
                + ":"
                + YamlDocuments.line(keyNode)
                + ": "
                + key
                + ": polyak's configurations write every value as one scalar (lists as 'a;b')");
      }
    }
  }

  /**
   * Every Flink configuration of the deployment: each {@code config.yaml} or {@code
   * flink-conf.yaml} under deploy/, and the {@code spec.flinkConfiguration} of each FlinkDeployment
   * document.
   */
  static List<FlinkSettings> all() {
    List<FlinkSettings> all = new ArrayList<>();
    for (Path file : DeployTree.yamlFiles()) {
      String name = file.getFileName().toString();
      if (name.equals("config.yaml") || name.equals("flink-conf.yaml")) {
        all.add(ofConfigFile(file));
        continue;
      }
      for (Node document : YamlDocuments.read(file)) {
        if (YamlDocuments.text(document, "kind").orElse("").equals("FlinkDeployment")) {
          all.add(ofFlinkDeployment(file, document));
        }
      }
    }
    return all;
  }
}
