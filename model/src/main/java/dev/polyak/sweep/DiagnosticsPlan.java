package dev.polyak.sweep;

import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.nn.Structure;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which checkpoints of every cell a sweep diagnoses, and how: the {@code diagnostics:} block.
 *
 * @param enabled whether the sweep diagnoses at all (the block is present)
 * @param atPruning the checkpoints just before and after each pruning event
 * @param atEnd the final checkpoint
 * @param everySteps also every this many steps (a multiple of each cell's checkpoint interval); 0 =
 *     not periodically
 * @param probeSamples n, the probe-set size
 * @param hutchinsonProbes Rademacher probes for the Hessian trace; 0 skips it
 * @param kinds the structure kinds whose kernels are reported
 */
public record DiagnosticsPlan(boolean enabled, boolean atPruning, boolean atEnd, long everySteps, int probeSamples,
    int hutchinsonProbes, Set<Structure.Kind> kinds) implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final List<String> KEYS = List.of("at", "every", "probe_samples", "hutchinson_probes", "structures");

  public DiagnosticsPlan {
    kinds = Collections.unmodifiableSet(kinds.isEmpty() ? EnumSet.noneOf(Structure.Kind.class) : EnumSet.copyOf(kinds));
  }

  /** No diagnostics (the probe settings are the defaults, should anything read them). */
  public static DiagnosticsPlan none() {
    return new DiagnosticsPlan(false, false, false, 0, DiagnosticsOptions.DEFAULT_PROBE_SAMPLES,
        DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES, EnumSet.allOf(Structure.Kind.class));
  }

  /** {@link DiagnosticsOptions#defaults()} with this plan's probe counts and kinds, the whole model included. */
  public DiagnosticsOptions toOptions() {
    return DiagnosticsOptions.defaults().withProbeSamples(probeSamples).withHutchinsonProbes(hutchinsonProbes)
        .withKinds(kinds, true);
  }

  /** The plan of a {@code diagnostics:} block; {@code at} defaults to both pruning and end. */
  static DiagnosticsPlan read(YamlNode block) {
    block.allowOnly(KEYS);
    boolean atPruning = true;
    boolean atEnd = true;
    YamlNode at = block.get("at");
    if (at != null) {
      List<YamlNode> points = at.isList() ? at.list() : List.of(at);
      if (points.isEmpty()) {
        throw at.error("name at least one of pruning, end");
      }
      atPruning = false;
      atEnd = false;
      for (YamlNode point : points) {
        switch (point.string()) {
          case "pruning" -> atPruning = true;
          case "end" -> atEnd = true;
          default -> throw point.error("unknown checkpoint '" + point.text() + "'; allowed: pruning, end");
        }
      }
    }
    YamlNode every = block.get("every");
    YamlNode probeSamples = block.get("probe_samples");
    YamlNode hutchinsonProbes = block.get("hutchinson_probes");
    YamlNode structures = block.get("structures");
    return new DiagnosticsPlan(true, atPruning, atEnd, every == null ? 0 : every.wholeNumber(1, Long.MAX_VALUE),
        probeSamples == null ? DiagnosticsOptions.DEFAULT_PROBE_SAMPLES
            : (int) probeSamples.wholeNumber(2, Integer.MAX_VALUE),
        hutchinsonProbes == null ? DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES
            : (int) hutchinsonProbes.wholeNumber(0, Integer.MAX_VALUE),
        structures == null ? EnumSet.allOf(Structure.Kind.class) : kinds(structures));
  }

  /** {@code all}, or kind names in lower case ({@code head}, or {@code heads} as pruning scopes write them). */
  private static Set<Structure.Kind> kinds(YamlNode structures) {
    List<YamlNode> names = structures.isList() ? structures.list() : List.of(structures);
    if (names.isEmpty()) {
      throw structures.error("name at least one structure kind, or all");
    }
    Set<Structure.Kind> kinds = EnumSet.noneOf(Structure.Kind.class);
    for (YamlNode name : names) {
      if (name.string().equals("all")) {
        kinds.addAll(EnumSet.allOf(Structure.Kind.class));
        continue;
      }
      Structure.Kind kind = Arrays.stream(Structure.Kind.values())
          .filter(k -> name.text().equals(k.name().toLowerCase(Locale.ROOT))
              || name.text().equals(k.name().toLowerCase(Locale.ROOT) + "s"))
          .findFirst().orElseThrow(() -> name.error("unknown structure kind '" + name.text() + "'; allowed: "
              + Arrays.stream(Structure.Kind.values()).map(k -> k.name().toLowerCase(Locale.ROOT))
              .collect(Collectors.joining(", ")) + ", all"));
      kinds.add(kind);
    }
    return kinds;
  }
}
