package dev.polyak.sweep;

import dev.polyak.RunFileException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A sweep's {@code early_stopping:} block: asynchronous successive halving (ASHA, Li et al. 2020)
 * over the runs of each config. A run reaching a rung records its signal there and goes on only if
 * it ranks in the best {@code 1/reduction} of the runs of its group that have reached that rung so
 * far ({@link Asha}); the others end STOPPED with their last checkpoint kept.
 *
 * @param rule {@link Rule#NONE} (the default: every run trains to the end) or {@link Rule#ASHA}
 * @param signal what runs are ranked by at a rung
 * @param rungs the steps at which a run is compared, strictly increasing, each a multiple of every
 *     cell's checkpoint_every and below its steps (so a stopped run has a checkpoint to resume
 *     from)
 * @param reduction η: a run goes on when its rank is at most ⌈n/η⌉ among the n runs of its group at
 *     the rung so far
 * @param groupBy which runs are compared with each other: {@code config} (across seeds only, never
 *     across methods or ratios)
 */
public record EarlyStopping(
    Rule rule, Signal signal, List<Long> rungs, double reduction, String groupBy)
    implements Serializable {
  private static final long serialVersionUID = 1L;
  static final List<String> KEYS = List.of("rule", "signal", "rungs", "reduction", "group_by");

  /** The default reduction factor η, as in Li et al. and Ray Tune. */
  public static final double DEFAULT_REDUCTION = 3;

  public EarlyStopping {
    rungs = List.copyOf(rungs);
  }

  /** {@code rule:}. */
  public enum Rule {
    NONE,
    ASHA
  }

  /**
   * {@code signal:}, and which way is better.
   *
   * <ul>
   *   <li>{@code eval}: the held-out metric at the rung (perplexity: lower is better; accuracy:
   *       higher is better)
   *   <li>{@code kappa}: the whole-model condition number λ_max/λ_min of the model function's
   *       kernel at the rung's checkpoint (lower is better)
   *   <li>{@code pl_ratio}: ‖∇L‖²/L on the probe set at the rung's checkpoint (higher is better: a
   *       larger PL constant µ)
   * </ul>
   */
  public enum Signal {
    EVAL("eval"),
    KAPPA("kappa"),
    PL_RATIO("pl_ratio");

    private final String id;

    Signal(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    /** Whether a lower value is better, for a run whose eval metric is {@code metricName}. */
    public boolean lowerIsBetter(String metricName) {
      return switch (this) {
        case EVAL -> !metricName.equals("accuracy");
        case KAPPA -> true;
        case PL_RATIO -> false;
      };
    }

    static Signal parse(String text) {
      return Arrays.stream(values())
          .filter(s -> s.id.equals(text))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException(text));
    }
  }

  /** No early stopping: every run trains to its last step. */
  public static EarlyStopping none() {
    return new EarlyStopping(Rule.NONE, Signal.EVAL, List.of(), DEFAULT_REDUCTION, "config");
  }

  public boolean enabled() {
    return rule == Rule.ASHA;
  }

  /** Whether {@code step} is one of the rungs. */
  public boolean isRung(long step) {
    return enabled() && rungs.contains(step);
  }

  /**
   * Reads the block: {@code rule} asha|none (default none), {@code signal} eval|kappa|pl_ratio
   * (default eval), {@code rungs} (required for asha), {@code reduction} (a number above 1, default
   * 3), {@code group_by} (config).
   *
   * @throws RunFileException {@code line N: early_stopping.<key>: ...}, its key {@code
   *     early_stopping.<key>}
   */
  static EarlyStopping read(YamlNode block) {
    if (!block.isMap()) {
      throw error(block, "must be a map with rule, signal, rungs, reduction, group_by");
    }
    block.allowOnly(KEYS);
    YamlNode ruleNode = block.get("rule");
    Rule rule = Rule.NONE;
    if (ruleNode != null) {
      rule =
          switch (ruleNode.string()) {
            case "asha" -> Rule.ASHA;
            case "none" -> Rule.NONE;
            default -> throw error(ruleNode, "must be asha or none, got '" + ruleNode.text() + "'");
          };
    }
    YamlNode signalNode = block.get("signal");
    Signal signal = Signal.EVAL;
    if (signalNode != null) {
      try {
        signal = Signal.parse(signalNode.string());
      } catch (IllegalArgumentException e) {
        throw error(
            signalNode,
            "must be "
                + Arrays.stream(Signal.values()).map(Signal::id).collect(Collectors.joining(", "))
                + ", got '"
                + signalNode.text()
                + "'");
      }
    }
    YamlNode reductionNode = block.get("reduction");
    double reduction = DEFAULT_REDUCTION;
    if (reductionNode != null) {
      if (!(reductionNode.scalar() instanceof Number n) || !(n.doubleValue() > 1)) {
        throw error(
            reductionNode,
            "must be a number above 1 (keep the best 1/reduction of the runs at each rung), got '"
                + reductionNode.shown()
                + "'");
      }
      reduction = reductionNode.number();
    }
    YamlNode groupNode = block.get("group_by");
    if (groupNode != null && !groupNode.string().equals("config")) {
      throw error(
          groupNode,
          "must be config (runs are compared within their config, across seeds), got '"
              + groupNode.text()
              + "'");
    }
    YamlNode rungsNode = block.get("rungs");
    List<Long> rungs = new ArrayList<>();
    if (rungsNode != null) {
      List<YamlNode> items = rungsNode.isList() ? rungsNode.list() : List.of(rungsNode);
      for (YamlNode item : items) {
        if (!(item.scalar() instanceof Integer || item.scalar() instanceof Long)
            || ((Number) item.scalar()).longValue() < 1) {
          throw error(
              item, "a rung is a step, a whole number of at least 1, got '" + item.shown() + "'");
        }
        long step = ((Number) item.scalar()).longValue();
        if (!rungs.isEmpty() && step <= rungs.get(rungs.size() - 1)) {
          throw error(
              item,
              "rungs must be strictly increasing, got "
                  + step
                  + " after "
                  + rungs.get(rungs.size() - 1));
        }
        rungs.add(step);
      }
    }
    if (rule == Rule.ASHA && rungs.isEmpty()) {
      throw error(
          rungsNode != null ? rungsNode : block,
          "rule asha needs rungs: the steps at which runs are compared, e.g. rungs: [100, 300]");
    }
    return new EarlyStopping(rule, signal, rungs, reduction, "config");
  }

  /**
   * Refuses rungs that some cell could not stop at: each must be below the cell's steps and a
   * multiple of its checkpoint_every (the checkpoint a stopped run keeps, and resumes from).
   *
   * @param block the {@code early_stopping} node errors point at
   */
  void check(List<Cell> cells, YamlNode block) {
    if (!enabled()) {
      return;
    }
    YamlNode rungsNode = block.get("rungs");
    for (Cell cell : cells) {
      long steps = cell.spec().training().steps();
      long every = cell.spec().checkpointEvery();
      for (long rung : rungs) {
        if (rung >= steps) {
          throw error(
              rungsNode,
              "rung "
                  + rung
                  + " is not below the "
                  + steps
                  + " steps of cell "
                  + Grid.words(cell.labels())
                  + "; a rung must leave steps to save");
        }
        if (rung % every != 0) {
          throw error(
              rungsNode,
              "rung "
                  + rung
                  + " is not a multiple of checkpoint_every ("
                  + every
                  + ") in cell "
                  + Grid.words(cell.labels())
                  + "; a stopped run resumes from the checkpoint at its rung");
        }
      }
    }
  }

  /** One line for {@code --dry-run}. */
  public String describe() {
    if (!enabled()) {
      return "early stopping: none";
    }
    return String.format(
        Locale.ROOT,
        "early stopping: asha on %s at steps %s, keeping the best 1/%s of each config's runs at"
            + " each rung",
        signal.id(),
        rungs.stream().map(String::valueOf).collect(Collectors.joining(", ")),
        reduction == Math.rint(reduction) ? Long.toString((long) reduction) : reduction);
  }

  private static RunFileException error(YamlNode node, String detail) {
    return new RunFileException(
        node.path(), "line " + node.line() + ": " + node.path() + ": ", detail);
  }
}
