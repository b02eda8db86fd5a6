package dev.polyak.sweep;

import dev.polyak.prune.PruningMethod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value of the {@code method} axis: a method name ({@code pl-gate}), or a map of the name, the
 * method's options and an optional label ({@code {name: pl-gate, label: pl-gate-a0.5, alpha:
 * 0.5}}). The map may also set keys of the pruning block for this method's cells alone ({@code
 * {name: snip, label: snip-init, step: 0}}: SNIP at initialisation while the others prune later);
 * giving {@code schedule} replaces the shared block's schedule keys.
 *
 * @param method the pruning method
 * @param label how cells read it: the given label, else the method's name
 * @param options the method's options (validated by the method; defaults are not filled in)
 * @param pruning pruning-block keys this method's cells set over the shared block's
 */
record MethodChoice(
    PruningMethod method, String label, Map<String, Object> options, Map<String, Object> pruning) {
  /** The pruning-block keys a method's map may set for its own cells. */
  static final List<String> PRUNING_KEYS =
      RunFile.PRUNING_KEYS.stream()
          .filter(key -> !key.equals("method") && !key.equals("options"))
          .toList();

  MethodChoice {
    options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    pruning = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pruning));
  }

  MethodChoice(PruningMethod method, String label, Map<String, Object> options) {
    this(method, label, options, Map.of());
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
    Map<String, Object> pruning = new LinkedHashMap<>();
    node.map()
        .forEach(
            (key, value) -> {
              if (PRUNING_KEYS.contains(key)) {
                pruning.put(key, value.plain());
              } else if (!key.equals("name") && !key.equals("label")) {
                options.put(key, value.plain());
              }
            });
    try {
      method.validate(options);
    } catch (IllegalArgumentException e) {
      throw node.error(e.getMessage());
    }
    return new MethodChoice(method, label == null ? method.id() : label.string(), options, pruning);
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
