package dev.polyak.prune;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The pruning methods a run file can name, each with its {@link Importance} and the options it
 * takes (with their defaults). Options are numbers; an unknown key, or a value that is not a
 * number, is an error naming {@code pruning.options.<key>} and the allowed keys.
 */
public enum PruningMethod {
  /** No pruning: the reference every comparison needs. */
  DENSE(Map.of()),
  /** Uniform scores from the run seed's stream: the sanity baseline ({@link RandomImportance}). */
  RANDOM(Map.of()),
  /** L1 norm of each structure's weights ({@link Magnitude}). */
  MAGNITUDE(Map.of()),
  /**
   * Lottery ticket: magnitude scores, and after every event the kept weights (and the optimizer
   * state) go back to their values at {@code rewind_fraction} of training (Frankle et al. 2020,
   * rewinding; BERT-LTH / Switch-LTH in the paper). The step counter and so the learning-rate
   * schedule are not replayed: the run keeps its step budget.
   */
  LTH(Map.of("rewind_fraction", 0.05));

  private final Map<String, Double> defaults;

  PruningMethod(Map<String, Double> defaults) {
    this.defaults = defaults;
  }

  /** The name a run file uses: {@code grad-score} for {@code GRAD_SCORE}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static PruningMethod of(String id) {
    for (PruningMethod m : values()) {
      if (m.id().equals(id)) {
        return m;
      }
    }
    throw new IllegalArgumentException("pruning.method must be one of "
        + java.util.Arrays.stream(values()).map(PruningMethod::id).collect(Collectors.joining(", ")) + ", got '" + id + "'");
  }

  /** Checks the given options against this method's keys. */
  public void validate(Map<String, Object> options) {
    resolve(options);
  }

  /** The method's options with defaults filled in, sorted by key. */
  public Map<String, Double> resolve(Map<String, Object> options) {
    Map<String, Double> resolved = new TreeMap<>(defaults);
    for (Map.Entry<String, Object> e : options.entrySet()) {
      if (!defaults.containsKey(e.getKey())) {
        throw new IllegalArgumentException("pruning.options." + e.getKey() + " is not an option of " + id()
            + (defaults.isEmpty() ? ", which takes none" : "; allowed: " + String.join(", ", new TreeMap<>(defaults).keySet())));
      }
      if (!(e.getValue() instanceof Number n)) {
        throw new IllegalArgumentException("pruning.options." + e.getKey() + " must be a number, got '" + e.getValue() + "'");
      }
      resolved.put(e.getKey(), n.doubleValue());
    }
    if (this == LTH && !(resolved.get("rewind_fraction") >= 0 && resolved.get("rewind_fraction") < 1)) {
      throw new IllegalArgumentException("pruning.options.rewind_fraction must be in [0, 1), got "
          + resolved.get("rewind_fraction"));
    }
    return resolved;
  }

  /** The resolved options as text, for the {@code PruneEvent} record. */
  public Map<String, String> describe(Map<String, Object> options) {
    Map<String, String> text = new LinkedHashMap<>();
    resolve(options).forEach((k, v) -> text.put(k, v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString(v.longValue()) : Double.toString(v)));
    return text;
  }

  /** The scoring of this method with {@code options} (see {@link #resolve}); dense has none. */
  public Importance importance(Map<String, Object> options) {
    Map<String, Double> o = resolve(options);
    return switch (this) {
      case DENSE -> throw new IllegalStateException("dense prunes nothing and has no scores");
      case RANDOM -> c -> RandomImportance.scores(c.model().structures().size(), c.seed(), c.event());
      case MAGNITUDE, LTH -> c -> Magnitude.scores(c.model());
    };
  }

  /** The fraction of training whose weights {@link #LTH} rewinds to. */
  public double rewindFraction(Map<String, Object> options) {
    return this == LTH ? resolve(options).get("rewind_fraction") : Double.NaN;
  }
}
