package dev.polyak.cli;

import ai.djl.Device;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.diag.DiagnosticRecords;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.KernelPath;
import dev.polyak.nn.EngineThreads;
import dev.polyak.nn.Structure;
import dev.polyak.report.KappaHeatMap;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.TrainerDiagnostics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak diagnose}: the conditioning diagnostics of one checkpoint, as a table, Avro rows
 * and a heat map.
 */
@Command(
    name = "diagnose",
    description = {
      "Compute a checkpoint's conditioning diagnostics.",
      "Per structure the kernel's lambda_min, lambda_max, condition number kappa and entropy rho (the"
          + " kernel of --kernel, default pntk) and the Hessian block trace; for the whole model the same plus the"
          + " loss, gradient norms, PL ratio, mu, the smoothness beta (top Hessian eigenvalue, by Lanczos),"
          + " the value-Lipschitz L_f (largest per-sample gradient norm), Theorem 6(a)'s factor 1 - mu/beta and"
          + " 6(b)'s sample complexity. Prints a table, writes <out>/diagnostics-step<N>.avro (DiagnosticRecord"
          + " rows) and <out>/kappa-step<N>.png (layer x structure heat map of log10 kappa, singular structures"
          + " black)."
    })
final class DiagnoseCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      description =
          "A checkpoint file, or a run's checkpoint folder (its newest valid checkpoint is used).")
  Path checkpoint;

  @Option(
      names = "--probe-samples",
      defaultValue = "64",
      description =
          "n, training samples the kernels are computed on, chosen by the run seed (default: ${DEFAULT-VALUE}).")
  int probeSamples;

  @Option(
      names = "--structures",
      defaultValue = "all",
      description =
          "Which structures to report: heads, experts, filters, neurons or all (default: ${DEFAULT-VALUE}).")
  String structures;

  @Option(
      names = "--hutchinson-probes",
      defaultValue = "10",
      description =
          "Rademacher probes of the Hessian trace; 0 skips it (default: ${DEFAULT-VALUE}).")
  int hutchinsonProbes;

  @Option(
      names = "--kernel",
      description =
          "The kernel: pntk (the pseudo-NTK, sum of the output logits over"
              + " sqrt(C); for MLM the mean over masked positions of the vocabulary logits' sum over sqrt(V)), target-logit,"
              + " projected:k (k Gaussian output projections, an unbiased trace-NTK estimate; k backward passes per sample)"
              + " or loss (per-sample loss gradients) (default: pntk).")
  String kernel;

  @Option(
      names = "--output",
      hidden = true,
      description = "Deprecated alias of --kernel (loss or target-logit).")
  String output;

  @Option(
      names = "--kernel-path",
      description =
          "How the kernels' per-probe gradients are computed: per-sample (default: a backward pass"
              + " per probe for every parameter), auto (linear layers' weights and biases from"
              + " batched activations and output gradients, every other parameter per sample) or"
              + " factored (as auto, an error for a structure with other parameters).")
  String kernelPath;

  @Option(
      names = "--active-probes",
      description =
          "Each structure's spectrum over the probes it is active on"
              + " (nonzero gradient row) instead of all n: a ReLU unit that is off on some probe is otherwise singular.")
  boolean activeProbes;

  @Option(
      names = "--whole-model",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Also the whole-model kernel K = K_rest + sum K_i and its MODEL row spectrum (default: on;"
              + " --no-whole-model skips the parameters outside every structure, the most expensive part for a large"
              + " vocabulary).")
  boolean wholeModel;

  @Option(
      names = "--beta-iterations",
      defaultValue = "100",
      description =
          "Cap on the Hessian-vector products of"
              + " beta's iteration; 0 skips beta and the convergence factor (default: ${DEFAULT-VALUE}).")
  int betaIterations;

  @Option(
      names = "--beta-method",
      defaultValue = "lanczos",
      description =
          "How beta is iterated: lanczos (Ritz value of the Lanczos tridiagonal, stopped when its"
              + " residual is below the tolerance) or power (power iteration stopped on the Rayleigh"
              + " quotient's relative change, as PyHessian) (default: ${DEFAULT-VALUE}).")
  String betaMethod;

  @Option(
      names = "--beta-tolerance",
      description =
          "Lanczos: the Ritz pair's residual relative to beta; power: the relative change of the"
              + " Rayleigh quotient; below it the iteration stops (default: 1e-2 for lanczos, which"
              + " puts an eigenvalue within 1 %% of beta; 1e-3, PyHessian's, for power).")
  Double betaTolerance;

  @Option(
      names = "--beta-per-structure",
      description = "Also each structure's block beta (one iteration per structure: costly).")
  boolean betaPerStructure;

  @Option(
      names = "--sample-complexity",
      defaultValue = "0.1,0.05",
      paramLabel = "EPSILON,DELTA[,M]",
      description =
          "Accuracy, confidence and loss bound of Theorem 6(b)'s n(epsilon, delta) <= 6 L_f^2 M /"
              + " (mu epsilon^2 delta) + M^2 / (2 epsilon^2 delta); M defaults to the largest per-sample probe loss"
              + " (default: ${DEFAULT-VALUE}).")
  String sampleComplexity;

  @Option(names = "--out", description = "Output folder (default: the run folder's diagnostics/).")
  Path out;

  @Option(
      names = "--data",
      description =
          "Shard set to read the probe samples from instead of the path the run"
              + " recorded (it must have the same manifest).")
  Path data;

  @Option(
      names = "--memory-mb",
      defaultValue = "512",
      description =
          "Bound on the Jacobian columns held at once, in MiB (default: ${DEFAULT-VALUE}).")
  long memoryMb;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "Intra-op threads of the engine (default:" + " ${DEFAULT-VALUE}).")
  int threads;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    DiagnosticsOptions options = options();
    double[] complexity = parseSampleComplexity(sampleComplexity);
    CheckpointStore.Located located = CheckpointStore.locate(checkpoint);
    Path file = located.file();
    Path folder = out != null ? out : defaultOut(file);
    EngineThreads.set(threads);
    PrintWriter console = spec.commandLine().getOut();
    try (RestoredRun run = RestoredRun.of(located, data, Device.cpu())) {
      requireStructures(run, options.kinds());
      console.printf(
          "diagnosing %s: run %s, %s, step %d, n = %d probe samples, %s kernel%s, %d Hutchinson probes%n",
          file,
          run.runId(),
          run.spec().model(),
          run.trainer().step(),
          options.probeSamples(),
          options.kernel(),
          options.activeProbes() ? " (spectra over active probes)" : "",
          options.hutchinsonProbes());
      console.flush();
      DiagnosticsReport report = TrainerDiagnostics.run(run.trainer(), options);
      List<DiagnosticRecord> records =
          DiagnosticRecords.of(run.runId(), file.getFileName().toString(), report);
      printTable(console, records, report);
      printBounds(
          console, report.conditioning(), report.options().smoothness().method(), complexity);
      Path avro = folder.resolve("diagnostics-step" + report.step() + ".avro");
      dev.polyak.data.io.AvroFiles.write(avro, DiagnosticRecord.class, records);
      Path png = folder.resolve("kappa-step" + report.step() + ".png");
      KappaHeatMap.of(records)
          .writePng(png, "log10 condition number, run " + run.runId() + ", step " + report.step());
      console.printf("wrote %s (%d records)%nwrote %s%n", avro, records.size(), png);
      console.flush();
    }
    return 0;
  }

  private DiagnosticsOptions options() {
    if (probeSamples < 2) {
      throw new IllegalArgumentException("--probe-samples must be at least 2, got " + probeSamples);
    }
    if (hutchinsonProbes < 0) {
      throw new IllegalArgumentException(
          "--hutchinson-probes must be 0 or more, got " + hutchinsonProbes);
    }
    if (betaIterations < 0 || (betaTolerance != null && !(betaTolerance > 0))) {
      throw new IllegalArgumentException(
          "--beta-iterations must be 0 or more and --beta-tolerance above 0, got "
              + betaIterations
              + " and "
              + betaTolerance);
    }
    if (memoryMb < 1) {
      throw new IllegalArgumentException("--memory-mb must be at least 1, got " + memoryMb);
    }
    if (kernel != null && output != null) {
      throw new IllegalArgumentException(
          "--output is the deprecated name of --kernel: give only --kernel");
    }
    KernelKind kind =
        kernel != null
            ? parse("--kernel", kernel, KernelKind::parse)
            : output != null ? parse("--output", output, KernelKind::parse) : KernelKind.PNTK;
    KernelPath path =
        kernelPath == null
            ? KernelPath.DEFAULT
            : parse("--kernel-path", kernelPath, KernelPath::parse);
    HessianEigenvalue.Method method =
        parse("--beta-method", betaMethod, HessianEigenvalue.Method::parse);
    return DiagnosticsOptions.defaults()
        .withProbeSamples(probeSamples)
        .withHutchinsonProbes(hutchinsonProbes)
        .withKernel(kind)
        .withActiveProbes(activeProbes)
        .withKernelPath(path)
        .withMemoryBudget(memoryMb << 20)
        .withKinds(kinds(structures), wholeModel)
        .withSmoothness(
            new HessianEigenvalue.Settings(
                betaTolerance == null ? method.defaultTolerance() : betaTolerance,
                betaIterations,
                betaPerStructure,
                method));
  }

  /** {@code value} read by {@code parse}; its error prefixed with the option's name. */
  private static <T> T parse(String option, String value, Function<String, T> parse) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  /** {@code epsilon,delta[,M]} as {epsilon, delta, M}, M = NaN when not given. */
  static double[] parseSampleComplexity(String text) {
    String[] parts = text.split(",", -1);
    try {
      if (parts.length == 2 || parts.length == 3) {
        double epsilon = Double.parseDouble(parts[0].trim());
        double delta = Double.parseDouble(parts[1].trim());
        double bound = parts.length == 3 ? Double.parseDouble(parts[2].trim()) : Double.NaN;
        if (epsilon > 0 && delta > 0 && delta < 1 && (parts.length == 2 || bound > 0)) {
          return new double[] {epsilon, delta, bound};
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--sample-complexity must be EPSILON,DELTA or EPSILON,DELTA,M with epsilon > 0,"
            + " 0 < delta < 1 and M > 0, got '"
            + text
            + "'");
  }

  /** {@code heads|experts|filters|neurons|all} as structure kinds. */
  static Set<Structure.Kind> kinds(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "heads" -> EnumSet.of(Structure.Kind.HEAD);
      case "experts" -> EnumSet.of(Structure.Kind.EXPERT);
      case "filters" -> EnumSet.of(Structure.Kind.FILTER);
      case "neurons" -> EnumSet.of(Structure.Kind.NEURON);
      case "all" -> Structure.Kind.structural();
      default ->
          throw new IllegalArgumentException(
              "--structures must be heads, experts, filters, neurons or all, got '" + text + "'");
    };
  }

  /**
   * {@code <run>/diagnostics} for a checkpoint in {@code <run>/checkpoints/}, else {@code
   * diagnostics/} beside it.
   */
  private static Path defaultOut(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    Path base =
        parent.getFileName() != null && parent.getFileName().toString().equals("checkpoints")
            ? parent.getParent()
            : parent;
    return base.resolve("diagnostics");
  }

  private void requireStructures(RestoredRun run, Set<Structure.Kind> kinds) {
    Set<String> present = new TreeSet<>();
    for (Structure s : run.trainer().model().structures()) {
      if (kinds.contains(s.kind())) {
        return;
      }
      present.add(s.kind().name().toLowerCase(Locale.ROOT) + "s");
    }
    throw new IllegalArgumentException(
        "--structures "
            + structures
            + ": the "
            + run.spec().model()
            + " model has none (it has "
            + (present.isEmpty() ? "no structures" : String.join(", ", present))
            + ")");
  }

  private static void printTable(
      PrintWriter console, List<DiagnosticRecord> records, DiagnosticsReport report) {
    console.printf(
        "%-22s %-4s %7s %12s %12s %12s %7s %25s %11s%n",
        "structure",
        "kept",
        "active",
        "lambda_min",
        "lambda_max",
        "kappa",
        "rho",
        "tr(H) +- SE",
        "beta");
    int singular = 0;
    int structureRows = 0;
    for (DiagnosticRecord r : records) {
      if (r.getKind() != DiagnosticKind.MODEL) {
        structureRows++;
        singular += r.getSingular() ? 1 : 0;
      }
      String trace =
          r.getHessianTrace() == null
              ? "-"
              : String.format(
                  Locale.ROOT, "%.4g +- %.2g", r.getHessianTrace(), r.getHessianTraceSe());
      String beta =
          r.getBeta() == null
              ? "-"
              : String.format(Locale.ROOT, "%.4e", r.getBeta()) + (r.getBetaConverged() ? "" : "*");
      if (Double.isNaN(r.getLambdaMax())) {
        // the MODEL row without the whole-model kernel: its traces and estimates only
        console.printf(
            Locale.ROOT,
            "%-22s %-4s %7s %12s %12s %12s %7s %25s %11s%n",
            r.getStructureId(),
            "yes",
            "-",
            "-",
            "-",
            "-",
            "-",
            trace,
            beta);
        continue;
      }
      console.printf(
          Locale.ROOT,
          "%-22s %-4s %7s %12.4e %12.4e %12s %7.4f %25s %11s%n",
          r.getStructureId(),
          r.getKept() ? "yes" : "no",
          r.getActiveProbes() == null ? "-" : r.getActiveProbes() + "/" + r.getProbeSamples(),
          r.getLambdaMin(),
          r.getLambdaMax(),
          r.getSingular()
              ? "inf (sing.)"
              : String.format(Locale.ROOT, "%.4e", r.getConditionNumber()),
          r.getEntropy(),
          trace,
          beta);
    }
    DiagnosticsReport.Conditioning c = report.conditioning();
    console.printf(
        Locale.ROOT,
        "model: loss %.6g, |grad L|^2 %.6g, max batch gradient norm %.6g,"
            + " sqrt(lambda_max(K)) %s%n",
        c.loss(),
        c.gradientNormSquared(),
        c.maxBatchGradientNorm(),
        Double.isNaN(c.jacobianNorm())
            ? "- (no whole-model kernel)"
            : String.format(Locale.ROOT, "%.6g", c.jacobianNorm()));
    console.printf(
        Locale.ROOT,
        "model: PL ratio %.6g, mu %.6g; %d of %d structures singular; %s kernels %.2f s"
            + " (%d pass%s), Hessian trace %.2f s, beta %.2f s%n",
        c.plRatio(),
        c.mu(),
        singular,
        structureRows,
        report.options().kernel(),
        report.kernelSeconds(),
        report.passes(),
        report.passes() == 1 ? "" : "es",
        report.hessianSeconds(),
        report.smoothnessSeconds());
  }

  /** β, L_f and the Theorem 6 figures, each with where it comes from. */
  private static void printBounds(
      PrintWriter console,
      DiagnosticsReport.Conditioning c,
      HessianEigenvalue.Method method,
      double[] complexity) {
    HessianEigenvalue.Result beta = c.smoothness();
    console.printf(
        Locale.ROOT,
        "model: smoothness beta %s; value-Lipschitz L_f (largest per-sample gradient norm)"
            + " %.6g%n",
        beta == null
            ? "- (not computed)"
            : String.format(
                Locale.ROOT,
                "%.6g (top Hessian eigenvalue, %s: %d Hessian-vector products, %s)",
                beta.eigenvalue(),
                method.id(),
                beta.iterations(),
                beta.converged() ? "converged" : "NOT converged"),
        c.lipschitzValue());
    console.printf(
        Locale.ROOT,
        "model: Theorem 6(a) convergence factor 1 - mu/beta %s%n",
        c.factorFlag() == null
            ? String.format(Locale.ROOT, "%.6g", c.convergenceFactor())
            : "- (" + c.factorFlag().spelling() + ": needs 0 < mu <= beta)");
    double bound = Double.isNaN(complexity[2]) ? c.maxSampleLoss() : complexity[2];
    String n =
        c.mu() > 0 && bound > 0
            ? String.format(
                Locale.ROOT, "%.4g", c.sampleComplexity(bound, complexity[0], complexity[1]))
            : "- (needs mu > 0 and M > 0)";
    console.printf(
        Locale.ROOT,
        "model: Theorem 6(b) sample complexity n(epsilon=%s, delta=%s) <= %s with L_f above,"
            + " M = %.6g (%s)%n",
        complexity[0],
        complexity[1],
        n,
        bound,
        Double.isNaN(complexity[2]) ? "largest per-sample probe loss" : "given");
  }
}
