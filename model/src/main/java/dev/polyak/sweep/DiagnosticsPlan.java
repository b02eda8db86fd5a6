package dev.polyak.sweep;

import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.KernelPath;
import dev.polyak.nn.Structure;
import dev.polyak.train.RunSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which checkpoints of every cell a sweep diagnoses, and how: the {@code diagnostics:} block.
 *
 * @param enabled whether the sweep diagnoses at all (the block is present)
 * @param atPruning the checkpoints just before and after each pruning event
 * @param atEnd the final checkpoint
 * @param every also the periodic checkpoints at this cadence ({@link Every#NONE}: not periodically)
 * @param probeSamples n, the probe-set size
 * @param hutchinsonProbes Rademacher probes for the Hessian trace; 0 skips it
 * @param kinds the structure kinds whose kernels are reported
 * @param wholeModel whether the whole-model kernel (K_rest, and the MODEL row's λ and κ) is
 *     computed; for BERT it costs more than every head together
 * @param kernel the kernel ({@code kernel:} key, {@link KernelKind#parse}; default pntk)
 * @param activeProbes structure spectra over their active probes only ({@code active_probes:},
 *     default false)
 * @param betaIterations the cap of β's Hessian-vector products ({@code beta_iterations:}, default
 *     100; 0 skips β, the costliest part of a default diagnostic: docs/performance.md)
 * @param kernelPath how the kernels' gradient columns are computed ({@code kernel_path:}, {@link
 *     KernelPath#parse}; default per-sample, {@link KernelPath#DEFAULT})
 * @param betaMethod how β is iterated ({@code beta_method:}, lanczos or power; default lanczos)
 * @param betaTolerance where β's iteration stops ({@code beta_tolerance:}, default the method's
 *     own, {@link HessianEigenvalue.Method#defaultTolerance()})
 * @param memoryBudgetBytes the bound on the float32 Jacobian columns held at once ({@code
 *     memory_mb:}, default {@link JacobianKernels#DEFAULT_MEMORY_BUDGET}): fewer passes of the
 *     per-sample gradients when larger
 */
public record DiagnosticsPlan(
    boolean enabled,
    boolean atPruning,
    boolean atEnd,
    Every every,
    int probeSamples,
    int hutchinsonProbes,
    Set<Structure.Kind> kinds,
    boolean wholeModel,
    KernelKind kernel,
    boolean activeProbes,
    int betaIterations,
    KernelPath kernelPath,
    HessianEigenvalue.Method betaMethod,
    double betaTolerance,
    long memoryBudgetBytes)
    implements Serializable {
  private static final long serialVersionUID = 7L;
  private static final List<String> KEYS =
      List.of(
          "at",
          "every",
          "probe_samples",
          "hutchinson_probes",
          "structures",
          "whole_model",
          "kernel",
          "active_probes",
          "beta_iterations",
          "kernel_path",
          "beta_method",
          "beta_tolerance",
          "memory_mb");

  /**
   * The cadence of a block that does not say: every 10 % of a run (what the diagnostics' cost is
   * measured at).
   */
  public static final Every DEFAULT_EVERY = Every.percent(10);

  /**
   * A plan with the default kernel (pntk), spectra over all probes, β by the default iteration
   * (Lanczos, capped at 100 products) and the default kernel path ({@link KernelPath#DEFAULT}).
   */
  public DiagnosticsPlan(
      boolean enabled,
      boolean atPruning,
      boolean atEnd,
      Every every,
      int probeSamples,
      int hutchinsonProbes,
      Set<Structure.Kind> kinds,
      boolean wholeModel) {
    this(
        enabled,
        atPruning,
        atEnd,
        every,
        probeSamples,
        hutchinsonProbes,
        kinds,
        wholeModel,
        KernelKind.PNTK,
        false,
        HessianEigenvalue.Settings.DEFAULT_MAX_ITERATIONS,
        KernelPath.DEFAULT,
        HessianEigenvalue.Method.LANCZOS,
        HessianEigenvalue.Settings.DEFAULT_TOLERANCE,
        JacobianKernels.DEFAULT_MEMORY_BUDGET);
  }

  public DiagnosticsPlan {
    java.util.Objects.requireNonNull(kernelPath, "kernelPath");
    java.util.Objects.requireNonNull(betaMethod, "betaMethod");
    kinds =
        Collections.unmodifiableSet(
            kinds.isEmpty() ? EnumSet.noneOf(Structure.Kind.class) : EnumSet.copyOf(kinds));
  }

  /**
   * A periodic cadence: every {@code steps} steps, or every {@code percent} % of a cell's steps, or
   * none (both 0).
   */
  public record Every(long steps, double percent) implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final Every NONE = new Every(0, 0);

    public static Every steps(long steps) {
      return new Every(steps, 0);
    }

    public static Every percent(double percent) {
      return new Every(0, percent);
    }

    /**
     * The diagnosis interval of a run of {@code runSteps} steps checkpointed every {@code
     * checkpointEvery}: {@code steps} itself (which must then be a multiple of checkpointEvery), or
     * the largest multiple of checkpointEvery not above {@code percent} % of the run, at least
     * checkpointEvery; 0 for none.
     */
    public long interval(long runSteps, long checkpointEvery) {
      if (steps > 0) {
        return steps;
      }
      if (percent > 0) {
        long share = (long) Math.floor(runSteps * percent / 100.0);
        return Math.max(1, share / checkpointEvery) * checkpointEvery;
      }
      return 0;
    }

    /**
     * The diagnosis interval of a run: {@link #interval(long, long)} of its steps and checkpoint
     * interval.
     */
    public long interval(RunSpec run) {
      return interval(run.training().steps(), run.checkpointEvery());
    }

    @Override
    public String toString() {
      return steps > 0 ? steps + " steps" : percent > 0 ? percentText() + " %" : "none";
    }

    /** The percentage as written: 10, 12.5. */
    String percentText() {
      return percent == Math.rint(percent)
          ? Long.toString((long) percent)
          : Double.toString(percent);
    }
  }

  /** No diagnostics (the probe settings are the defaults, should anything read them). */
  public static DiagnosticsPlan none() {
    return new DiagnosticsPlan(
        false,
        false,
        false,
        Every.NONE,
        DiagnosticsOptions.DEFAULT_PROBE_SAMPLES,
        DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES,
        Structure.Kind.structural(),
        true);
  }

  /**
   * {@link DiagnosticsOptions#defaults()} with this plan's probe counts, kinds, whole-model choice,
   * kernel and kernel path.
   */
  public DiagnosticsOptions toOptions() {
    return DiagnosticsOptions.defaults()
        .withProbeSamples(probeSamples)
        .withHutchinsonProbes(hutchinsonProbes)
        .withKinds(kinds, wholeModel)
        .withKernel(kernel)
        .withActiveProbes(activeProbes)
        .withKernelPath(kernelPath)
        .withMemoryBudget(memoryBudgetBytes)
        .withSmoothness(
            new HessianEigenvalue.Settings(betaTolerance, betaIterations, false, betaMethod));
  }

  /**
   * The plan of a {@code diagnostics:} block; {@code at} defaults to both pruning and end, {@code
   * every} to {@link #DEFAULT_EVERY}, {@code whole_model} to true.
   */
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
          default ->
              throw point.error("unknown checkpoint '" + point.text() + "'; allowed: pruning, end");
        }
      }
    }
    YamlNode probeSamples = block.get("probe_samples");
    YamlNode hutchinsonProbes = block.get("hutchinson_probes");
    YamlNode structures = block.get("structures");
    YamlNode wholeModel = block.get("whole_model");
    YamlNode kernel = block.get("kernel");
    YamlNode activeProbes = block.get("active_probes");
    YamlNode betaIterations = block.get("beta_iterations");
    YamlNode kernelPath = block.get("kernel_path");
    YamlNode betaMethod = block.get("beta_method");
    YamlNode betaTolerance = block.get("beta_tolerance");
    YamlNode memoryMb = block.get("memory_mb");
    HessianEigenvalue.Method method =
        betaMethod == null
            ? HessianEigenvalue.Method.LANCZOS
            : choice(betaMethod, HessianEigenvalue.Method::parse, HessianEigenvalue.Method.ALLOWED);
    return new DiagnosticsPlan(
        true,
        atPruning,
        atEnd,
        every(block.get("every")),
        probeSamples == null
            ? DiagnosticsOptions.DEFAULT_PROBE_SAMPLES
            : (int) probeSamples.wholeNumber(2, Integer.MAX_VALUE),
        hutchinsonProbes == null
            ? DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES
            : (int) hutchinsonProbes.wholeNumber(0, Integer.MAX_VALUE),
        structures == null ? Structure.Kind.structural() : kinds(structures),
        wholeModel == null || wholeModel.flag(),
        kernel == null ? KernelKind.PNTK : choice(kernel, KernelKind::parse, KernelKind.ALLOWED),
        activeProbes != null && activeProbes.flag(),
        betaIterations == null
            ? HessianEigenvalue.Settings.DEFAULT_MAX_ITERATIONS
            : (int) betaIterations.wholeNumber(0, Integer.MAX_VALUE),
        kernelPath == null
            ? KernelPath.DEFAULT
            : choice(kernelPath, KernelPath::parse, KernelPath.ALLOWED),
        method,
        betaTolerance == null ? method.defaultTolerance() : positive(betaTolerance),
        memoryMb == null
            ? JacobianKernels.DEFAULT_MEMORY_BUDGET
            : memoryMb.wholeNumber(1, Long.MAX_VALUE >> 20) << 20);
  }

  /**
   * A key whose value is one of a fixed set of spellings ({@code kernel}: pntk, target-logit,
   * projected:k or loss; {@code kernel_path}: auto, factored or per-sample; {@code beta_method}:
   * lanczos or power), read by {@code parse}; any other value is an error naming the spellings.
   */
  private static <T> T choice(YamlNode node, Function<String, T> parse, String allowed) {
    try {
      return parse.apply(node.string());
    } catch (IllegalArgumentException e) {
      throw node.error("must be " + allowed + ", got '" + node.text() + "'");
    }
  }

  /** A number above 0 ({@code beta_tolerance}). */
  private static double positive(YamlNode node) {
    double value = node.number();
    if (!(value > 0 && Double.isFinite(value))) {
      throw node.error("must be a number above 0, got '" + node.text() + "'");
    }
    return value;
  }

  /** {@code every}: N steps, P % of each cell's steps, or none; absent = {@link #DEFAULT_EVERY}. */
  private static Every every(YamlNode every) {
    if (every == null) {
      return DEFAULT_EVERY;
    }
    String text = every.string().trim();
    if (text.equals("none")) {
      return Every.NONE;
    }
    if (text.endsWith("%")) {
      double percent;
      try {
        percent = Double.parseDouble(text.substring(0, text.length() - 1).trim());
      } catch (NumberFormatException e) {
        percent = Double.NaN;
      }
      if (!(percent > 0 && percent <= 100)) {
        throw every.error("a percentage must be in (0, 100], got '" + text + "'");
      }
      return Every.percent(percent);
    }
    if (!text.matches("[0-9]+")) {
      throw every.error(
          "must be a number of steps (e.g. 500), a share of each run (e.g. 10%) or none, got '"
              + text
              + "'");
    }
    return Every.steps(every.wholeNumber(1, Long.MAX_VALUE));
  }

  /**
   * One line for {@code --dry-run}: which checkpoints of {@code cells} are diagnosed, with what,
   * and how many periodic checkpoints a run keeps for them beyond keep_last.
   */
  public String describe(List<Cell> cells) {
    if (!enabled) {
      return "diagnostics: none (the sweep file has no diagnostics block)";
    }
    List<String> where = new ArrayList<>();
    if (atPruning) {
      where.add("before and after each pruning event");
    }
    Map<Long, Integer> cellsByInterval = new TreeMap<>();
    long mostKept = 0;
    for (Cell cell : cells) {
      long interval = every.interval(cell.spec());
      if (interval > 0) {
        cellsByInterval.merge(interval, 1, Integer::sum);
        mostKept = Math.max(mostKept, cell.spec().training().steps() / interval);
      }
    }
    if (!cellsByInterval.isEmpty()) {
      where.add(
          "every "
              + (every.percent() > 0 ? every.percentText() + " % of a run (" : "")
              + cellsByInterval.entrySet().stream()
                  .map(
                      e ->
                          String.format(
                              Locale.ROOT,
                              "%,d steps in %d cell%s",
                              e.getKey(),
                              e.getValue(),
                              e.getValue() == 1 ? "" : "s"))
                  .collect(Collectors.joining(", "))
              + (every.percent() > 0 ? ")" : ""));
    }
    if (atEnd) {
      where.add("at the end");
    }
    String kindsText =
        kinds.size() == Structure.Kind.structural().size()
            ? "every structure kind"
            : kinds.stream()
                    .map(k -> k.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", "))
                + " kernels";
    return "diagnostics: "
        + String.join(", ", where)
        + "; n = "
        + probeSamples
        + ", "
        + hutchinsonProbes
        + " Hutchinson probes, "
        + kernel
        + " kernel"
        + (activeProbes ? " over active probes" : "")
        + ", "
        + kindsText
        + (wholeModel ? ", the whole-model kernel" : ", no whole-model kernel")
        + (betaIterations == 0 ? ", no beta" : "")
        + (kernelPath == KernelPath.DEFAULT ? "" : ", kernel path " + kernelPath.id())
        + (betaIterations == 0 || betaMethod == HessianEigenvalue.Method.LANCZOS
            ? ""
            : ", beta by " + betaMethod.id())
        + (betaIterations == 0 || betaTolerance == betaMethod.defaultTolerance()
            ? ""
            : ", beta tolerance " + betaTolerance)
        + (memoryBudgetBytes == JacobianKernels.DEFAULT_MEMORY_BUDGET
            ? ""
            : ", " + (memoryBudgetBytes >> 20) + " MiB of kernel columns")
        + (mostKept > 0
            ? "; a run keeps up to " + mostKept + " periodic checkpoints for them beyond keep_last"
            : "");
  }

  /**
   * {@code all}, or kind names in lower case ({@code head}, or {@code heads} as pruning scopes
   * write them).
   */
  private static Set<Structure.Kind> kinds(YamlNode structures) {
    List<YamlNode> names = structures.isList() ? structures.list() : List.of(structures);
    if (names.isEmpty()) {
      throw structures.error("name at least one structure kind, or all");
    }
    Set<Structure.Kind> kinds = EnumSet.noneOf(Structure.Kind.class);
    for (YamlNode name : names) {
      if (name.string().equals("all")) {
        kinds.addAll(Structure.Kind.structural());
        continue;
      }
      Structure.Kind kind =
          Structure.Kind.structural().stream()
              .filter(
                  k ->
                      name.text().equals(k.name().toLowerCase(Locale.ROOT))
                          || name.text().equals(k.name().toLowerCase(Locale.ROOT) + "s"))
              .findFirst()
              .orElseThrow(
                  () ->
                      name.error(
                          "unknown structure kind '"
                              + name.text()
                              + "'; allowed: "
                              + Structure.Kind.structural().stream()
                                  .map(k -> k.name().toLowerCase(Locale.ROOT))
                                  .collect(Collectors.joining(", "))
                              + ", all"));
      kinds.add(kind);
    }
    return kinds;
  }
}
