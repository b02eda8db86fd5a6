package dev.polyak.sweep;

import dev.polyak.prune.PruningMethod;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A value of the {@code method} axis: a method name ({@code pl-gate}), or a map of the name, the
 * method's options and an optional label ({@code {name: pl-gate, label: pl-gate-a0.5, alpha:
 * 0.5}}).
 *
 * @param method the pruning method
 * @param label how cells read it: the given label, else the method's name
 * @param options the method's options (validated by the method; defaults are not filled in)
 */
record MethodChoice(PruningMethod method, String label, Map<String, Object> options) {

  MethodChoice {
    options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
  }

  static MethodChoice read(YamlNode node) {
    if (!node.isMap()) {
      return new MethodChoice(method(node), node.string(), Map.of());
    }
    YamlNode name = node.get("name");
    if (name == null) {
      throw node.error(
          "a method written as a map needs its name, e.g. {name: pl-gate, alpha: 0.5}");
    }
    PruningMethod method = method(name);
    YamlNode label = node.get("label");
    Map<String, Object> options = new LinkedHashMap<>();
    node.map()
        .forEach(
            (key, value) -> {
              if (!key.equals("name") && !key.equals("label")) {
                options.put(key, value.plain());
              }
            });
    try {
      method.validate(options);
    } catch (IllegalArgumentException e) {
      throw node.error(e.getMessage());
    }
    return new MethodChoice(method, label == null ? method.id() : label.string(), options);
  }

  private static PruningMethod method(YamlNode name) {
    try {
      return PruningMethod.of(name.string());
    } catch (IllegalArgumentException e) {
      throw name.error(
          "unknown method '"
              + name.text()
              + "'; allowed: "
              + dev.polyak.EnumIds.allowed(PruningMethod.class));
    }
  }
}
