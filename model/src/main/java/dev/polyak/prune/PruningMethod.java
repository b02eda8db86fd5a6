package dev.polyak.prune;

import dev.polyak.RunFileException;
import dev.polyak.diag.KernelKind;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The pruning methods a run file can name, each with its {@link Importance} and the options it
 * takes (with their defaults). An option is a number or, where its default is text, text; an
 * unknown key or a value of the wrong type is an error naming {@code pruning.options.<key>} and the
 * allowed keys.
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
   * rewinding; BERT-LTH / Switch-LTH in the paper). The step counter is not replayed: the run keeps
   * its step budget. With {@code rewind_schedule: true} the learning-rate schedule goes back to the
   * rewind point as well (IMP rewinds the whole training state): after each event the learning rate
   * is the schedule's at the rewind step plus the steps since the event. Default false (today's
   * behaviour, the schedule runs on).
   */
  LTH(Map.of("rewind_fraction", 0.05, "rewind_schedule", Boolean.FALSE)),
  /**
   * Michel et al. (2019): the mean over scoring batches of |∂L/∂ξ_i|, ξ_i a gate on structure i's
   * output (Att-Score for heads, Exp-Score for experts; {@link GradScore}).
   */
  GRAD_SCORE(Map.of()),
  /**
   * Structured SNIP: Σ |g ⊙ w| over a structure's weights ({@link Snip}); the paper prunes at step
   * 0.
   */
  SNIP(Map.of()),
  /**
   * Structured GraSP: Σ θ ⊙ Hg over a structure's weights, Hg by central differences of gradients
   * with step {@code relative_step} × RMS(θ) ({@link Grasp}); the paper prunes at step 0.
   */
  GRASP(Map.of("relative_step", Grasp.DEFAULT_RELATIVE_STEP)),
  /**
   * He et al. (2019): within each layer, the distance sum of a structure's own weights to the
   * others'; the ones nearest the geometric median go first ({@link Fpgm}). Option {@code
   * criterion}: distance (default), norm, or mixed (norm for up to half of each layer, then
   * distance).
   */
  FPGM(Map.of("criterion", "distance")),
  /**
   * Sui et al. (2021): channel independence, the drop in the nuclear norm of a convolution's
   * feature maps when the filter's channel is zeroed; the least independent go first ({@link
   * Chip}).
   */
  CHIP(Map.of()),
  /**
   * Prune the structures with the largest condition number κ_i of their NTK kernel on the scoring
   * samples (the paper's Figure 1 "Masked T", {@link KappaRank}).
   */
  KAPPA_RANK(Map.of("kernel", KernelKind.PNTK.toString())),
  /**
   * The paper's Algorithm 2 ({@link PlGate}): a gate over the structures' kernel features learned
   * at each event on the scoring loss plus α times the Hessian trace, then TopK of its scores.
   */
  PL_GATE(
      Map.of(
          "gate_width", PlGate.Options.DEFAULT_GATE_WIDTH,
          "gate_learning_rate", PlGate.Options.DEFAULT_GATE_LEARNING_RATE,
          "gate_batches", PlGate.Options.DEFAULT_GATE_BATCHES,
          "alpha", PlGate.Options.DEFAULT_ALPHA,
          "hutchinson_probes", PlGate.Options.DEFAULT_HUTCHINSON_PROBES,
          "normalisation", "log-standardised",
          "kernel", KernelKind.PNTK.toString()));

  private final Map<String, Object> defaults;

  PruningMethod(Map<String, Object> defaults) {
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
    throw new RunFileException(
        "pruning.method",
        "pruning.method must be one of "
            + java.util.Arrays.stream(values())
                .map(PruningMethod::id)
                .collect(Collectors.joining(", "))
            + ", got '"
            + id
            + "'");
  }

  /** Checks the given options against this method's keys. */
  public void validate(Map<String, Object> options) {
    resolve(options);
  }

  /**
   * The method's options with defaults filled in, sorted by key: numbers as doubles, text as
   * strings.
   */
  public Map<String, Object> resolve(Map<String, Object> options) {
    Map<String, Object> resolved = new TreeMap<>();
    defaults.forEach((k, v) -> resolved.put(k, v instanceof Number n ? n.doubleValue() : v));
    for (Map.Entry<String, Object> e : options.entrySet()) {
      if (!defaults.containsKey(e.getKey())) {
        throw optionError(
            e.getKey(),
            "is not an option of "
                + id()
                + (defaults.isEmpty()
                    ? ", which takes none"
                    : "; allowed: " + String.join(", ", new TreeMap<>(defaults).keySet())));
      }
      boolean number = defaults.get(e.getKey()) instanceof Number;
      boolean flag = defaults.get(e.getKey()) instanceof Boolean;
      if (flag && !(e.getValue() instanceof Boolean)) {
        throw optionError(e.getKey(), "must be true or false, got '" + e.getValue() + "'");
      }
      if (!flag
          && (number && !(e.getValue() instanceof Number)
              || !number && !(e.getValue() instanceof String))) {
        throw optionError(
            e.getKey(),
            "must be " + (number ? "a number" : "text") + ", got '" + e.getValue() + "'");
      }
      resolved.put(e.getKey(), e.getValue() instanceof Number n ? n.doubleValue() : e.getValue());
    }
    if (this == LTH
        && !((double) resolved.get("rewind_fraction") >= 0
            && (double) resolved.get("rewind_fraction") < 1)) {
      throw optionError(
          "rewind_fraction", "must be in [0, 1), got " + resolved.get("rewind_fraction"));
    }
    if (this == PL_GATE) {
      gateOptions(resolved);
    }
    if (this == FPGM) {
      criterion(resolved);
    }
    kernel(resolved);
    return resolved;
  }

  /** The resolved options as text, for the {@code PruneEvent} record. */
  public Map<String, String> describe(Map<String, Object> options) {
    Map<String, String> text = new LinkedHashMap<>();
    resolve(options)
        .forEach(
            (k, v) ->
                text.put(
                    k,
                    v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15
                        ? Long.toString(d.longValue())
                        : v.toString()));
    return text;
  }

  /** The scoring of this method with {@code options} (see {@link #resolve}); dense has none. */
  public Importance importance(Map<String, Object> options) {
    Map<String, Object> o = resolve(options);
    return switch (this) {
      case DENSE -> throw new IllegalStateException("dense prunes nothing and has no scores");
      case RANDOM ->
          c -> RandomImportance.scores(c.model().structures().size(), c.seed(), c.event());
      case MAGNITUDE, LTH -> c -> Magnitude.scores(c.model());
      case GRAD_SCORE -> new GradScore();
      case SNIP -> new Snip();
      case GRASP -> new Grasp((double) o.get("relative_step"));
      case FPGM -> new Fpgm(criterion(o));
      case CHIP -> new Chip();
      case KAPPA_RANK -> new KappaRank();
      case PL_GATE -> new PlGate(gateOptions(o));
    };
  }

  /**
   * The kernel a kernel-based method (kappa-rank, pl-gate) scores with, from its {@code kernel}
   * option ({@link KernelKind#parse}; default pntk); empty for the methods that use no kernel.
   */
  public java.util.Optional<KernelKind> kernel(Map<String, Object> options) {
    Object text = options.containsKey("kernel") ? options.get("kernel") : defaults.get("kernel");
    if (!defaults.containsKey("kernel")) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(KernelKind.parse(text.toString()));
    } catch (IllegalArgumentException e) {
      throw optionError("kernel", "must be " + KernelKind.ALLOWED + ", got '" + text + "'");
    }
  }

  /**
   * Whether this method scores single weights, so that {@code scope: [weights]} may name it: snip,
   * grasp, lth, magnitude and random (the methods whose score is per weight before it is summed
   * over a structure).
   */
  public boolean scoresWeights() {
    return this == SNIP || this == GRASP || this == LTH || this == MAGNITUDE || this == RANDOM;
  }

  /**
   * The weight-level scoring of this method ({@code scope: [weights]}): the same classes as the
   * structured scoring, unsummed.
   *
   * @throws IllegalStateException for a method that does not {@link #scoresWeights()}
   */
  public WeightImportance weightImportance(Map<String, Object> options) {
    Importance structured = importance(options);
    return switch (this) {
      case SNIP, GRASP -> (WeightImportance) structured;
      case MAGNITUDE, LTH -> c -> Magnitude.weightScores(c.model());
      case RANDOM -> RandomImportance::weightScores;
      default -> throw new IllegalStateException(id() + " does not score single weights");
    };
  }

  /** For {@link #LTH}: whether the learning-rate schedule is rewound with the weights. */
  public boolean rewindsSchedule(Map<String, Object> options) {
    return this == LTH && (Boolean) resolve(options).get("rewind_schedule");
  }

  /** The fraction of training whose weights {@link #LTH} rewinds to. */
  public double rewindFraction(Map<String, Object> options) {
    return this == LTH ? (double) resolve(options).get("rewind_fraction") : Double.NaN;
  }

  /** fpgm's criterion from resolved run-file options. */
  private static Fpgm.Criterion criterion(Map<String, Object> o) {
    for (Fpgm.Criterion c : Fpgm.Criterion.values()) {
      if (c.id().equals(o.get("criterion"))) {
        return c;
      }
    }
    throw optionError(
        "criterion",
        "must be one of "
            + java.util.Arrays.stream(Fpgm.Criterion.values())
                .map(Fpgm.Criterion::id)
                .collect(Collectors.joining(", "))
            + ", got '"
            + o.get("criterion")
            + "'");
  }

  /**
   * pl-gate's options from resolved run-file options; the record's checks name the option's key.
   */
  private static PlGate.Options gateOptions(Map<String, Object> o) {
    PlGate.Normalisation normalisation = null;
    for (PlGate.Normalisation n : PlGate.Normalisation.values()) {
      if (n.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(o.get("normalisation"))) {
        normalisation = n;
      }
    }
    if (normalisation == null) {
      throw optionError(
          "normalisation",
          "must be one of log-standardised, standardised, none, got '"
              + o.get("normalisation")
              + "'");
    }
    try {
      return new PlGate.Options(
          integer(o, "gate_width"),
          (double) o.get("gate_learning_rate"),
          integer(o, "gate_batches"),
          (double) o.get("alpha"),
          integer(o, "hutchinson_probes"),
          normalisation);
    } catch (RunFileException e) {
      throw e.within("pruning.options");
    }
  }

  /**
   * Option {@code key} as an int; its error, like the record's, names the key within the options.
   */
  private static int integer(Map<String, Object> o, String key) {
    double v = (double) o.get(key);
    if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
      throw new RunFileException(key, key + " must be a whole number, got " + v);
    }
    return (int) v;
  }

  /** An error about option {@code key}: {@code pruning.options.<key> <problem>}. */
  private static RunFileException optionError(String key, String problem) {
    return new RunFileException("pruning.options." + key, "pruning.options." + key + " " + problem);
  }
}
