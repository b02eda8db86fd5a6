package dev.polyak.prune;

import dev.polyak.EnumIds;
import dev.polyak.RunFileException;
import dev.polyak.diag.KernelKind;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
   * Ruan et al. (2021), at an event: alive filters (group norm above {@code prune_threshold} of the
   * layer's largest) share the target in proportion to their count per layer, the least
   * Taylor-sensitive go first ({@link Dpfps}); filters only, global allocation.
   */
  DPFPS(Map.of("prune_threshold", Dpfps.DEFAULT_PRUNE_THRESHOLD)),
  /**
   * Prune the structures with the largest condition number κ_i of their NTK kernel on the scoring
   * samples (the paper's Figure 1 "Masked T", {@link KappaRank}).
   */
  KAPPA_RANK(Map.of("kernel", KernelKind.PNTK.toString())),
  /**
   * The paper's Algorithm 2 ({@link PlGate}): a gate over the structures' kernel features, kept
   * across the run's events and trained at each on {@code gate_samples} training samples with the
   * loss plus α times the Hessian trace, then TopK of its scores.
   */
  PL_GATE(
      Map.ofEntries(
          Map.entry("gate_width", PlGate.Options.DEFAULT_GATE_WIDTH),
          Map.entry("gate_learning_rate", PlGate.Options.DEFAULT_GATE_LEARNING_RATE),
          Map.entry("gate_batches", PlGate.Options.DEFAULT_GATE_BATCHES),
          Map.entry("alpha", PlGate.Options.DEFAULT_ALPHA),
          Map.entry("hutchinson_probes", PlGate.Options.DEFAULT_HUTCHINSON_PROBES),
          Map.entry("normalisation", "log-standardised"),
          Map.entry("kernel", KernelKind.PNTK.toString()),
          Map.entry("gate_samples", PlGate.Options.DEFAULT_GATE_SAMPLES),
          Map.entry("gate_epochs", PlGate.Options.DEFAULT_GATE_EPOCHS),
          Map.entry("gate_reset", false),
          Map.entry("trace_every", PlGate.Options.DEFAULT_TRACE_EVERY)));

  /**
   * pl-gate's options whose defaults changed when the gate became the paper's (persistent, trained
   * on gate_samples): spelled out in the run id, so a run of the new defaults never shares an id
   * (and a sweep's finished result) with a run made before them.
   */
  private static final java.util.List<String> GATE_SPELLED_OUT =
      java.util.List.of("gate_batches", "gate_samples", "gate_epochs", "gate_reset", "trace_every");

  /** Options that take a number or one of a few words. */
  private static final java.util.Set<String> NUMBER_OR_WORD = java.util.Set.of("gate_samples");

  private final Map<String, Object> defaults;

  PruningMethod(Map<String, Object> defaults) {
    this.defaults = defaults;
  }

  /** The name a run file uses: {@code grad-score} for {@code GRAD_SCORE}. */
  public String id() {
    return EnumIds.id(this);
  }

  /**
   * The method a run file names.
   *
   * @throws RunFileException naming {@code pruning.method} and every method's id
   */
  public static PruningMethod of(String id) {
    return EnumIds.parse(PruningMethod.class, "pruning.method", id);
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
      Object given = e.getValue();
      Object fallback = defaults.get(e.getKey());
      boolean number = fallback instanceof Number;
      boolean flag = fallback instanceof Boolean;
      boolean ok =
          number
              ? given instanceof Number
                  || NUMBER_OR_WORD.contains(e.getKey()) && given instanceof String
              : flag ? given instanceof Boolean : given instanceof String;
      if (!ok) {
        throw optionError(
            e.getKey(),
            "must be "
                + (number ? "a number" : flag ? "true or false" : "text")
                + ", got '"
                + given
                + "'");
      }
      resolved.put(e.getKey(), e.getValue() instanceof Number n ? n.doubleValue() : e.getValue());
    }
    if (this == LTH) {
      fraction(resolved, "rewind_fraction");
    }
    if (this == DPFPS) {
      fraction(resolved, "prune_threshold");
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

  /**
   * The options a run id must name even when the run file leaves them out (their defaults changed
   * since runs were first made): {@code options} with those keys' defaults added.
   */
  public Map<String, Object> spelledOut(Map<String, Object> options) {
    Map<String, Object> all = new TreeMap<>(options);
    if (this == PL_GATE) {
      GATE_SPELLED_OUT.forEach(key -> all.putIfAbsent(key, defaults.get(key)));
    }
    return all;
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
      case DPFPS -> new Dpfps((double) o.get("prune_threshold"));
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
    return EnumIds.parse(
        Fpgm.Criterion.class, "pruning.options.criterion", String.valueOf(o.get("criterion")));
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
          normalisation,
          gateSamples(o.get("gate_samples")),
          integer(o, "gate_epochs"),
          (Boolean) o.get("gate_reset"),
          integer(o, "trace_every"));
    } catch (RunFileException e) {
      throw e.within("pruning.options");
    }
  }

  /** {@code gate_samples}: a whole number >= 1, {@code all} or {@code scoring}. */
  private static int gateSamples(Object value) {
    if ("all".equals(value)) {
      return PlGate.Options.GATE_SAMPLES_ALL;
    }
    if ("scoring".equals(value)) {
      return PlGate.Options.GATE_SAMPLES_SCORING;
    }
    if (value instanceof Double v && v == Math.rint(v) && v >= 1 && v <= Integer.MAX_VALUE - 1) {
      return (int) (double) v;
    }
    throw new RunFileException(
        "gate_samples",
        "gate_samples must be a whole number >= 1, all or scoring, got '" + value + "'");
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

  /** Refuses option {@code key} outside [0, 1). */
  private static void fraction(Map<String, Object> resolved, String key) {
    double value = (double) resolved.get(key);
    if (!(value >= 0 && value < 1)) {
      throw optionError(key, "must be in [0, 1), got " + value);
    }
  }

  /** An error about option {@code key}: {@code pruning.options.<key> <problem>}. */
  private static RunFileException optionError(String key, String problem) {
    return new RunFileException("pruning.options." + key, "pruning.options." + key + " " + problem);
  }
}
