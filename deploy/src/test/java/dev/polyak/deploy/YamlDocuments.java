package dev.polyak.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * YAML read as SnakeYAML's node tree, which keeps each key's line and each scalar's resolved type
 * (a quoted "8" is a string, a plain 8 an integer), both of which the checks report.
 */
final class YamlDocuments {
  private YamlDocuments() {}

  /** Every document of {@code file}; a syntax error names the file. */
  static List<Node> read(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<Node> documents = new ArrayList<>();
      for (Node document : new Yaml(new LoaderOptions()).composeAll(reader)) {
        if (document != null) {
          documents.add(document);
        }
      }
      return documents;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DeployTree.shown(file), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          DeployTree.shown(file) + ": not valid YAML: " + e.getMessage(), e);
    }
  }

  /** The one document of {@code file}. */
  static Node single(Path file) {
    List<Node> documents = read(file);
    if (documents.size() != 1) {
      throw new IllegalArgumentException(
          DeployTree.shown(file) + ": expected one YAML document, found " + documents.size());
    }
    return documents.get(0);
  }

  /**
   * The value under {@code path} (keys separated by '/'), if every step is a mapping that has it.
   */
  static Optional<Node> at(Node node, String path) {
    return at(node, List.of(path.split("/")));
  }

  /** The value under a path of keys, for keys that hold a '/' ({@code nvidia.com/gpu}). */
  static Optional<Node> at(Node node, List<String> keys) {
    Node current = node;
    for (String key : keys) {
      if (!(current instanceof MappingNode mapping)) {
        return Optional.empty();
      }
      Node next = null;
      for (NodeTuple tuple : mapping.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
          next = tuple.getValueNode();
        }
      }
      if (next == null) {
        return Optional.empty();
      }
      current = next;
    }
    return Optional.of(current);
  }

  /** The scalar text under {@code path}, or empty. */
  static Optional<String> text(Node node, String path) {
    return at(node, path)
        .filter(ScalarNode.class::isInstance)
        .map(n -> ((ScalarNode) n).getValue());
  }

  /** The scalar text under a path of keys, or empty. */
  static Optional<String> text(Node node, List<String> keys) {
    return at(node, keys)
        .filter(ScalarNode.class::isInstance)
        .map(n -> ((ScalarNode) n).getValue());
  }

  /** The items of the sequence under {@code path} (none when absent). */
  static List<Node> items(Node node, String path) {
    return at(node, path)
        .filter(SequenceNode.class::isInstance)
        .map(n -> ((SequenceNode) n).getValue())
        .orElse(List.of());
  }

  /** 1-based line of a node. */
  static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }
}
