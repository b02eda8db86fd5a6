package dev.polyak.sweep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A claim of the paper that a sweep tests, as its sweep file's {@code claims:} block states it: a
 * statistic of the runs of one configuration ({@code config}) is lower, or higher, than the same
 * statistic of the runs it is compared with ({@code against}), run for run. A config run and an
 * against run are a <b>pair</b> when they have the same seed and agree on every axis neither
 * selector names (an axis a run has no value for, such as a dense run's ratio, agrees with any);
 * the sweep file is refused unless every selected config cell has exactly one partner and no
 * against cell has two. The verdict is computed from the report's Avro files ({@code
 * dev.polyak.summary.ClaimVerdicts}); the format and the verdict rule: docs/sweeps.md.
 *
 * @param id unique within the file, one word
 * @param text what the paper claims, in words
 * @param statistic what is compared
 * @param step the evaluation step of {@link Statistic#METRIC_AT_STEP} (−1 for the others)
 * @param config axis → value label: the cells of the claimed configuration
 * @param against axis → value label: the cells it is compared with
 * @param direction whether the paper claims config's statistic is lower or higher than against's
 * @param paper the paper's figure or table, free text (null when not given)
 */
public record Claim(
    String id,
    String text,
    Statistic statistic,
    long step,
    Map<String, String> config,
    Map<String, String> against,
    Direction direction,
    String paper) {

  /** The statistic a claim compares, as the sweep file names it. */
  public enum Statistic {
    /** The final held-out metric (perplexity or accuracy) of each finished run. */
    FINAL_METRIC("final_metric"),
    /** The held-out metric at evaluation step N ({@code metric_at_step:N}). */
    METRIC_AT_STEP("metric_at_step"),
    /** The first evaluated step at which a run reached its matched dense run's final metric. */
    STEPS_TO_DENSE_FINAL("steps_to_dense_final"),
    /** The elapsed training seconds at that step. */
    SECONDS_TO_DENSE_FINAL("seconds_to_dense_final"),
    /** Whole-model κ just after minus just before the first pruning event (diagnostics). */
    KAPPA_JUMP("kappa_jump"),
    /** Whole-model Hessian trace just after minus just before the first pruning event. */
    TRACE_JUMP("trace_jump"),
    /** The standard deviation of the final metric across seeds. */
    SEED_SPREAD("seed_spread");

    private final String id;

    Statistic(String id) {
      this.id = id;
    }

    /** The name in the sweep file. */
    public String id() {
      return id;
    }
  }

  /** Which side of {@code against} the paper puts the claimed configuration. */
  public enum Direction {
    LOWER,
    HIGHER;

    /** The name in the sweep file. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Claim {
    config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
    against = Collections.unmodifiableMap(new LinkedHashMap<>(against));
  }

  /**
   * The statistic as written in the sweep file: {@code final_metric}, {@code metric_at_step:200}.
   */
  public String statisticName() {
    return statistic == Statistic.METRIC_AT_STEP ? statistic.id() + ":" + step : statistic.id();
  }

  /** Whether a cell or run with these labels (seed included) is one of the claimed config's. */
  public boolean inConfig(Map<String, String> labels) {
    return selects(config, labels);
  }

  /** Whether a cell or run with these labels is one of those compared with. */
  public boolean inAgainst(Map<String, String> labels) {
    return selects(against, labels);
  }

  /**
   * Whether a config run ({@code mine}) and an against run ({@code theirs}) are a pair: the same
   * seed, and equal values of every axis neither selector names where both runs have one.
   */
  public boolean paired(Map<String, String> mine, Map<String, String> theirs) {
    for (Map.Entry<String, String> e : mine.entrySet()) {
      String axis = e.getKey();
      if (config.containsKey(axis) || against.containsKey(axis)) {
        continue;
      }
      String other = theirs.get(axis);
      if (other != null && !other.equals(e.getValue())) {
        return false;
      }
    }
    return mine.get("seed") != null && mine.get("seed").equals(theirs.get("seed"));
  }

  /** {@code key=value} pairs joined by spaces: {@code method=pl-gate ratio=0.5}. */
  public static String words(Map<String, String> selector) {
    return selector.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(" "));
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
