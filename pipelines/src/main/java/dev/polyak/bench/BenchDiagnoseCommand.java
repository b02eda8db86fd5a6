package dev.polyak.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.HessianTrace;
import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.KernelPath;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ProbeSet;
import dev.polyak.diag.Spectrum;
import dev.polyak.nn.Bert;
import dev.polyak.nn.EngineThreads;
import dev.polyak.nn.Structure;
import dev.polyak.train.MlmTrainer;
import dev.polyak.train.TrainerDiagnostics;
import dev.polyak.train.TrainingConfig;
import dev.polyak.train.TrainingListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code polyak bench diagnose}: what diagnostics cost on the reference's BERT (hidden 256, 4
 * layers, 4 heads, FFN 1024, seq 128, vocabulary 30,000): the NTK of all 16 heads with n = 64, a
 * Hutchinson trace with 10 probes on a batch of 16, and a training step for the overhead share;
 * with --reference, the PyTorch scripts' figures right after; with --bert-base, the time and peak
 * memory of all 144 heads of bert-base with n = 128.
 */
@Command(
    name = "diagnose",
    description = {
      "Measure what diagnostics cost on a small BERT.",
      "Diagnostics cost on the reference's BERT (hidden 256, 4 layers, 4 heads, vocabulary 30,000, seq 128):"
          + " the per-head NTK of all 16 heads for each of --kernels (n = 64 probes, 19 masked positions each, float64"
          + " eigenvalues),"
          + " a Hutchinson Hessian trace (10 probes, batch 16), beta by each of --beta-methods and one"
          + " training step, with 1 and 2 threads.",
      "Prints the share of training time that diagnostics at a sweep's default cadence (every 10 %% of a run, and"
          + " the checkpoints just before and after each pruning event) add to a run of --run-steps steps.",
      "With --reference DIR, the PyTorch scripts ntk.py and hutchinson.py follow each figure, and the ratio.",
      "With --bert-base, also all 144 heads of bert-base with n = 128 under --memory-mb, with the peak RSS."
    })
final class BenchDiagnoseCommand implements Callable<Integer> {
  /** The vocabulary of the reference's ntk.py and hutchinson.py runs. */
  static final int VOCABULARY = 30_000;

  @Option(
      names = "--threads",
      split = ",",
      defaultValue = "1,2",
      description = "Intra-op thread counts to measure (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description =
          "Timed repetitions after one warm-up; the median"
              + " is reported (default: ${DEFAULT-VALUE}, as the reference).")
  int repeats;

  @Option(
      names = "--run-steps",
      defaultValue = "10000",
      description = "Run length for the overhead share (default: ${DEFAULT-VALUE}).")
  long runSteps;

  @Option(
      names = "--pruning-events",
      split = ",",
      defaultValue = "1,4",
      description =
          "Pruning events per run for the overhead share, one figure each (default: ${DEFAULT-VALUE}:"
              + " one-shot, and an iterative schedule).")
  List<Integer> pruningEvents;

  @Option(
      names = "--kernels",
      split = ",",
      defaultValue = "pntk,loss",
      description =
          "Kernels whose per-head NTK is timed, side by side (default: ${DEFAULT-VALUE}: the default"
              + " pseudo-NTK and the loss-gradient kernel polyak used before it).")
  List<String> kernels;

  @Option(
      names = "--kernel-paths",
      split = ",",
      defaultValue = "per-sample,auto",
      description =
          "Kernel paths (per-sample, factored, auto) whose per-head NTK is timed side by side,"
              + " each after the other for every kernel (default: ${DEFAULT-VALUE}).")
  List<String> kernelPaths;

  @Option(
      names = "--beta-methods",
      split = ",",
      defaultValue = "lanczos",
      description =
          "Methods (lanczos, power) whose beta (top Hessian eigenvalue of the 64 probes' loss, the"
              + " default tolerance and cap) is timed alone, once each, after the Hutchinson figure"
              + " (default: ${DEFAULT-VALUE}; power can take minutes).")
  List<String> betaMethods;

  @Option(
      names = "--beta-tolerances",
      split = ",",
      description =
          "Tolerances (the Ritz pair's residual relative to beta for Lanczos, the quotient's"
              + " relative change for power) at which each of --beta-methods is timed (default:"
              + " each method's own, 1e-2 for lanczos and 1e-3 for power).")
  List<Double> betaTolerances;

  @Option(
      names = "--ntk-only",
      description = "Stop after the per-head NTK figures (no Hutchinson, overhead or reference).")
  boolean ntkOnly;

  @Option(
      names = "--reference",
      description = "Folder of the PyTorch reference scripts (run.sh), e.g. ../shared/anchors.")
  Path reference;

  @Option(
      names = "--bert-base",
      description = "Also measure all heads of bert-base with n = 128 (about 10 minutes).")
  boolean bertBase;

  @Option(
      names = "--memory-mb",
      defaultValue = "1024",
      description = "Jacobian memory budget for --bert-base, MiB (default: ${DEFAULT-VALUE}).")
  long memoryMb;

  @Override
  public Integer call() throws Exception {
    if (repeats < 1
        || runSteps < 1
        || pruningEvents.stream().anyMatch(e -> e < 0)
        || memoryMb < 1
        || (betaTolerances != null && betaTolerances.stream().anyMatch(t -> !(t > 0)))
        || threads.stream().anyMatch(n -> n < 1)) {
      throw new IllegalArgumentException(
          "--repeats, --run-steps, --memory-mb and --threads must be at least 1 and"
              + " --pruning-events at least 0 and --beta-tolerances above 0");
    }
    AnchorScripts.check(reference);
    List<KernelKind> kinds = parseAll("--kernels", kernels, KernelKind::parse);
    List<KernelPath> paths = parseAll("--kernel-paths", kernelPaths, KernelPath::parse);
    List<HessianEigenvalue.Method> methods =
        parseAll("--beta-methods", betaMethods, HessianEigenvalue.Method::parse);
    PrintStream console = System.out;
    console.printf(
        "machine: %d cores, Java %s, max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    Bert.Config config = new Bert.Config(VOCABULARY, 256, 4, 4, 1024, 128);
    for (int n : threads) {
      EngineThreads.set(n);
      TokenDataset data = BenchTrainCommand.randomTokens(VOCABULARY, 128, 512, 1);
      TrainingConfig training =
          new TrainingConfig(
              0,
              6,
              16,
              TrainingConfig.OptimizerKind.ADAMW,
              1e-4,
              TrainingConfig.Schedule.CONSTANT,
              0,
              0.01,
              0,
              0,
              6,
              1);
      try (MlmTrainer trainer = new MlmTrainer(config, training, data, data)) {
        long[] stamps = new long[7];
        trainer.train(
            6, TrainingListener.onEachStep((step, loss) -> stamps[(int) step] = System.nanoTime()));
        double[] steps = new double[4];
        for (int i = 0; i < 4; i++) {
          steps[i] = (stamps[i + 3] - stamps[i + 2]) / 1e9;
        }
        double step = Spread.median(steps);

        double lossNtk = Double.NaN;
        for (KernelKind kind : kinds) {
          ProbeObjective heads = trainer.probes(ProbeSet.select(0, data.size(), 64), kind);
          for (KernelPath path : paths) {
            double seconds =
                median(() -> headSpectra(heads, JacobianKernels.DEFAULT_MEMORY_BUDGET, path));
            lossNtk = kind.equals(KernelKind.LOSS) ? seconds : lossNtk;
            console.printf(
                "%d thread(s): NTK (%s kernel, %s path) of all 16 heads, n = 64: %.2f s%n",
                n, kind, path.id(), seconds);
          }
        }
        if (ntkOnly) {
          continue;
        }
        double ntk = lossNtk;
        ProbeObjective batch = trainer.probes(ProbeSet.select(1, data.size(), 16), KernelKind.LOSS);
        double[] trace = new double[1];
        double hutchinson =
            median(
                () ->
                    trace[0] =
                        HessianTrace.estimate(
                                batch, 10, 16, DiagnosticsOptions.DEFAULT_RELATIVE_STEP, 0)
                            .whole()
                            .trace());
        console.printf(
            "%d thread(s): Hutchinson, 10 probes, batch 16: %.2f s (trace %.1f); training step (batch 16):"
                + " %.3f s%n",
            n, hutchinson, trace[0], step);
        ProbeObjective probes =
            trainer.probes(ProbeSet.select(0, data.size(), 64), KernelKind.PNTK);
        for (HessianEigenvalue.Method method : methods) {
          for (double tolerance :
              betaTolerances == null ? List.of(method.defaultTolerance()) : betaTolerances) {
            long started = System.nanoTime();
            HessianEigenvalue.Result beta =
                HessianEigenvalue.estimate(
                        probes,
                        HessianEigenvalue.Settings.defaults(method).withTolerance(tolerance),
                        16,
                        DiagnosticsOptions.DEFAULT_RELATIVE_STEP,
                        0)
                    .whole();
            console.printf(
                "%d thread(s): beta by %s, n = 64, tolerance %.0e: %.4f after %d Hessian-vector"
                    + " products (%s), %.1f s%n",
                n,
                method.id(),
                tolerance,
                beta.eigenvalue(),
                beta.iterations(),
                beta.converged() ? "converged" : "NOT converged",
                (System.nanoTime() - started) / 1e9);
          }
        }
        DiagnosticsOptions full = DiagnosticsOptions.defaults();
        DiagnosticsOptions light = full.withKinds(full.kinds(), false);
        DiagnosticsReport[] last = new DiagnosticsReport[1];
        double[] lastSeconds = new double[1];
        double fullSeconds =
            median(
                () -> {
                  long started = System.nanoTime();
                  last[0] = TrainerDiagnostics.run(trainer, full);
                  lastSeconds[0] = (System.nanoTime() - started) / 1e9;
                });
        DiagnosticsReport parts = last[0];
        double lightSeconds = median(() -> TrainerDiagnostics.run(trainer, light));
        console.printf(
            "%d thread(s): one default diagnostic (n = 64, %s kernel, every head, 10 Hutchinson probes,"
                + " beta by %s, gradient statistics): %.1f s with the whole-model kernel, %.1f s without%n",
            n, full.kernel(), full.smoothness().method().id(), fullSeconds, lightSeconds);
        console.printf(
            "%d thread(s):   its last run, %.1f s: kernels %.1f s (%d passes of the 64 per-sample gradients),"
                + " Hessian trace %.1f s, beta %.1f s (%d products, %s), the rest (losses, gradient"
                + " statistics, spectra) %.1f s%n",
            n,
            lastSeconds[0],
            parts.kernelSeconds(),
            parts.passes(),
            parts.hessianSeconds(),
            parts.smoothnessSeconds(),
            parts.conditioning().smoothness().iterations(),
            parts.conditioning().smoothness().converged() ? "converged" : "NOT converged",
            lastSeconds[0]
                - parts.kernelSeconds()
                - parts.hessianSeconds()
                - parts.smoothnessSeconds());
        for (int events : pruningEvents) {
          // as a sweep's default diagnostics block: every 10 % (the last is the end), before and
          // after each event
          int perRun = 10 + 2 * events;
          console.printf(
              "%d thread(s): %d diagnostics per %d-step run (every 10 %%, before and after %d pruning"
                  + " event(s)) add %.2f %% of training time with the whole-model kernel, %.2f %% without (training"
                  + " %.0f s)%n",
              n,
              perRun,
              runSteps,
              events,
              100 * perRun * fullSeconds / (runSteps * step),
              100 * perRun * lightSeconds / (runSteps * step),
              runSteps * step);
        }
        if (reference != null && !Double.isNaN(ntk)) {
          // the reference scripts differentiate the per-sample loss: compared with polyak's loss
          // kernel
          compareWithReference(n, ntk, hutchinson, console);
        }
      }
    }
    if (bertBase) {
      EngineThreads.set(threads.get(threads.size() - 1));
      bertBaseHeads(console);
    }
    return 0;
  }

  /** Each of {@code values} read by {@code parse}; an error prefixed with the option's name. */
  private static <T> List<T> parseAll(
      String option, List<String> values, Function<String, T> parse) {
    try {
      return values.stream().map(parse).toList();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  /** Kernels of every head and their spectra (the work timed); the kernels. */
  private static JacobianKernels.Kernels headSpectra(ProbeObjective objective, long budget) {
    return headSpectra(objective, budget, KernelPath.DEFAULT);
  }

  /** As {@link #headSpectra(ProbeObjective, long)}, the columns by {@code path}. */
  private static JacobianKernels.Kernels headSpectra(
      ProbeObjective objective, long budget, KernelPath path) {
    List<Structure> structures = objective.model().structures();
    JacobianKernels.Kernels k =
        JacobianKernels.compute(
            objective, s -> structures.get(s).kind() == Structure.Kind.HEAD, false, budget, path);
    for (double[] kernel : k.structureKernels()) {
      if (kernel != null) {
        Spectrum.of(kernel, k.n(), Spectrum.DEFAULT_FLOOR);
      }
    }
    return k;
  }

  private void compareWithReference(int n, double ntk, double hutchinson, PrintStream console)
      throws Exception {
    for (JsonNode r :
        AnchorScripts.run(
            reference, n, console, "ntk.py", Integer.toString(VOCABULARY), "hooks,loopall")) {
      if (r.has("all16_s")) {
        double theirs = r.get("all16_s").asDouble();
        console.printf(
            "%d thread(s): PyTorch NTK %s: %.2f s, ratio polyak / reference time %.2f%n",
            n, r.get("method").asText(), theirs, ntk / theirs);
      }
    }
    List<JsonNode> h =
        AnchorScripts.run(
            reference, n, console, "hutchinson.py", "hf", Integer.toString(VOCABULARY));
    if (!h.isEmpty()) {
      double theirs = h.get(0).get("total_s_median").asDouble();
      console.printf(
          "%d thread(s): PyTorch Hutchinson (double backward, logits at all positions): %.2f s, ratio"
              + " polyak / reference time %.2f%n",
          n, theirs, hutchinson / theirs);
    }
  }

  /**
   * All 144 heads of bert-base, n = 128, within the memory budget: time, passes and peak memory.
   */
  private void bertBaseHeads(PrintStream console) {
    Bert.Config base = new Bert.Config(VOCABULARY, 768, 12, 12, 3072, 128);
    TokenDataset data = BenchTrainCommand.randomTokens(VOCABULARY, 128, 256, 3);
    TrainingConfig training =
        new TrainingConfig(
            0,
            1,
            16,
            TrainingConfig.OptimizerKind.ADAMW,
            1e-4,
            TrainingConfig.Schedule.CONSTANT,
            0,
            0.01,
            0,
            0,
            1,
            1);
    try (MlmTrainer trainer = new MlmTrainer(base, training, data, data)) {
      ProbeObjective probes = trainer.probes(ProbeSet.select(0, data.size(), 128), KernelKind.PNTK);
      long started = System.nanoTime();
      JacobianKernels.Kernels k = headSpectra(probes, memoryMb << 20);
      long heads =
          java.util.Arrays.stream(k.structureKernels()).filter(java.util.Objects::nonNull).count();
      console.printf(
          "bert-base, %d heads, n = 128, budget %d MiB: %.1f s in %d passes; peak RSS %d MiB, Java heap"
              + " max %d MiB%n",
          heads,
          memoryMb,
          (System.nanoTime() - started) / 1e9,
          k.passes(),
          BenchTrainCommand.statusKib("VmHWM:") >> 10,
          Runtime.getRuntime().maxMemory() >> 20);
    }
  }

  private double median(Runnable work) {
    work.run();
    double[] seconds = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long started = System.nanoTime();
      work.run();
      seconds[i] = (System.nanoTime() - started) / 1e9;
    }
    return Spread.median(seconds);
  }
}
