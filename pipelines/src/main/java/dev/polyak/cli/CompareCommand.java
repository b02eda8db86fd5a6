package dev.polyak.cli;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.diag.SeedSpread;
import dev.polyak.prune.PruningMethod;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.PruneEventFiles;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak compare}: pruning methods side by side on one model and shard set, over seeds, with
 * the same schedule, and the comparison table. Each (method, seed) is an ordinary run folder under
 * {@code <out>/runs/}, so an interrupted comparison resumes where it stopped.
 *
 * <p>Each cell trains in a JVM of its own ({@code polyak train} with this process's JVM options and
 * class path, one intra-op thread), so a failing or memory-hungry run cannot take the others down
 * and every run sees the same fresh process. (It was introduced when two bert-tiny runs on
 * threads of one JVM diverged; that was DJL's freed scalars, fixed since by {@code Scalars}.)
 */
@Command(name = "compare",
    description = {
        "Compare pruning methods on one model, over several seeds.",
        "Trains one model with each pruning method and seed (one-shot pruning of --ratio of the structures at"
            + " --prune-step; dense = no pruning) and prints, per method, mean +- std over seeds of the final train"
            + " and eval perplexity (or accuracy), the step at which each run first reached its seed's dense run's final"
            + " eval figure, and the share of training time spent in pruning events (event wall time over event"
            + " plus step time, from the run's own records, so a resumed run counts fully).",
        "Runs go to <out>/runs/<method>-seed<k>/ (resumable; each trained by 'polyak train' in a JVM of its own,"
            + " its output in train.log there); the table also to <out>/table.md."})
final class CompareCommand implements Callable<Integer> {
  @Option(names = "--shards", required = true, description = "The shard set (polyak preprocess output).")
  Path shards;

  @Option(names = "--model", defaultValue = "bert-tiny", description = "Model preset (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--train-split", defaultValue = "train", description = "Split trained on (default ${DEFAULT-VALUE}).")
  String trainSplit;

  @Option(names = "--eval-split", description = "Held-out split (default: the family's, valid for text, test for images).")
  String evalSplit;

  @Option(names = "--methods", split = ",", defaultValue = "dense,pl-gate,kappa-rank,random,magnitude",
      description = "Methods, comma-separated (default ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(names = "--seeds", split = ",", defaultValue = "0,1,2", description = "Seeds (default ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--steps", defaultValue = "1000", description = "Training steps per run (default ${DEFAULT-VALUE}).")
  long steps;

  @Option(names = "--prune-step", defaultValue = "100", description = "Step of the one-shot pruning (default ${DEFAULT-VALUE}).")
  long pruneStep;

  @Option(names = "--ratio", defaultValue = "0.5", description = "Fraction of the structures pruned (default ${DEFAULT-VALUE}).")
  double ratio;

  @Option(names = "--scope", description = "Structure kinds to prune, comma-separated (default: the model's own).")
  String scope;

  @Option(names = "--eval-every", defaultValue = "100", description = "Steps between evaluations (default ${DEFAULT-VALUE}).")
  long evalEvery;

  @Option(names = "--eval-samples", defaultValue = "512", description = "Held-out samples per evaluation (default ${DEFAULT-VALUE}).")
  int evalSamples;

  @Option(names = "--batch-size", description = "Batch size (default: the family's).")
  Integer batchSize;

  @Option(names = "--parallel", defaultValue = "2", description = "Runs trained at once, one intra-op thread each"
      + " (default ${DEFAULT-VALUE}).")
  int parallel;

  @Option(names = "--out", required = true, description = "Output folder.")
  Path out;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** One (method, seed) run's figures. */
  record Outcome(String method, long seed, TrainingRun.Result result, double pruningSeconds) {
    MetricRecord last() {
      return result.last().orElseThrow();
    }

    /** Time spent in training steps, from the records' mean step times (evaluations and checkpoints left out). */
    double stepSeconds() {
      return result.stepSeconds();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (parallel < 1 || seeds.isEmpty() || methods.isEmpty()) {
      throw new IllegalArgumentException("--parallel must be >= 1 and --seeds and --methods must name something");
    }
    methods.forEach(PruningMethod::of);
    PrintWriter console = spec.commandLine().getOut();
    Map<String, Future<Outcome>> runs = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      for (String method : methods) {
        for (long seed : seeds) {
          String runFile = runFile(method, seed);
          RunSpec.parse(runFile, null); // a bad cell fails here, before anything trains
          Path folder = out.resolve("runs").resolve(method + "-seed" + seed);
          runs.put(method + "/" + seed, pool.submit(() -> {
            long started = System.nanoTime();
            TrainingRun.Result result = trainInOwnJvm(runFile, folder);
            double wall = (System.nanoTime() - started) / 1e9;
            double pruning = 0;
            if (Files.exists(folder.resolve(PruneEventFiles.COMBINED))) {
              for (PruneEvent e : AvroFiles.read(folder.resolve(PruneEventFiles.COMBINED), PruneEvent.class)) {
                pruning += e.getWallSeconds();
              }
            }
            synchronized (console) {
              MetricRecord last = result.last().orElseThrow();
              console.printf("%s seed %d: %s, final eval loss %.4f, metric %.4f, %.0f s%s%n", method, seed,
                  result.status(), last.evalLoss(), last.evalMetric(), wall,
                  result.resumedFromStep() > 0 ? " (resumed from step " + result.resumedFromStep() + ")" : "");
              console.flush();
            }
            return new Outcome(method, seed, result, pruning);
          }));
        }
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : runs.values()) {
        outcomes.add(f.get());
      }
      String table = table(outcomes, dev.polyak.train.ModelFamily.of(model).transformer());
      console.print(table);
      console.flush();
      dev.polyak.io.AtomicFiles.writeString(out.resolve("table.md"), table);
      return 0;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Trains one cell with {@code polyak train} in a child JVM (this JVM's options and class path),
   * its output in {@code <folder>/train.log}; returns the result it wrote.
   */
  static TrainingRun.Result trainInOwnJvm(String runFile, Path folder) throws Exception {
    Files.createDirectories(folder);
    Path config = folder.resolve("run.yaml");
    dev.polyak.io.AtomicFiles.writeString(config, runFile);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), PolyakCli.class.getName(), "train",
        "--config", config.toString(), "--out", folder.toString(), "--threads", "1"));
    Path log = folder.resolve("train.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    try {
      int code = process.waitFor();
      if (code == 2) {
        // the child's one-line error (bad input, a full disk) is the user's, not a defect of this command
        String error = Files.readAllLines(log).stream().filter(l -> l.startsWith(PolyakCli.ERROR_PREFIX)).reduce((a, b) -> b)
            .map(l -> l.substring(PolyakCli.ERROR_PREFIX.length())).orElse("exit code 2");
        throw new dev.polyak.BadInputException(error + " (training " + folder + "; see " + log + ")");
      }
      if (code != 0 && code != TrainCommand.DIVERGED) {
        throw new IllegalStateException("training " + folder + " failed with exit code " + code + "; see " + log);
      }
    } finally {
      process.destroy();
    }
    return TrainingRun.readResult(folder);
  }

  /** The run file of one cell. */
  String runFile(String method, long seed) {
    StringBuilder yaml = new StringBuilder();
    yaml.append("model: ").append(model).append('\n')
        .append("data: ").append(shards.toAbsolutePath()).append('\n')
        .append("train_split: ").append(trainSplit).append('\n')
        .append("seed: ").append(seed).append('\n')
        .append("steps: ").append(steps).append('\n')
        .append("eval_every: ").append(evalEvery).append('\n')
        .append("eval_samples: ").append(evalSamples).append('\n');
    if (evalSplit != null) {
      yaml.append("eval_split: ").append(evalSplit).append('\n');
    }
    if (batchSize != null) {
      yaml.append("batch_size: ").append(batchSize).append('\n');
    }
    if (!method.equals("dense")) {
      yaml.append("pruning: {method: ").append(method).append(", step: ").append(pruneStep).append(", ratio: ")
          .append(ratio).append(scope == null ? "" : ", scope: [" + scope + "]").append("}\n");
    }
    return yaml.toString();
  }

  /**
   * The comparison: per method, over the seeds whose run finished (diverged ones are named and left
   * out), mean ± std of the final train perplexity (exp of the
   * mean training loss since the previous evaluation; the loss itself for classification) and eval
   * perplexity (or accuracy), the steps
   * to reach the same seed's dense final eval figure, and the pruning events' share of the time
   * spent in steps and events.
   */
  static String table(List<Outcome> outcomes, boolean perplexity) {
    Map<Long, Double> denseFinal = new LinkedHashMap<>();
    for (Outcome o : outcomes) {
      if (o.method().equals("dense") && o.result().status() == TrainingRun.Status.FINISHED) {
        denseFinal.put(o.seed(), o.last().evalMetric());
      }
    }
    Map<String, List<Outcome>> byMethod = new LinkedHashMap<>();
    Map<String, List<String>> diverged = new LinkedHashMap<>();
    for (Outcome o : outcomes) {
      byMethod.computeIfAbsent(o.method(), m -> new ArrayList<>());
      if (o.result().status() == TrainingRun.Status.FINISHED) {
        byMethod.get(o.method()).add(o);
      } else {
        diverged.computeIfAbsent(o.method(), m -> new ArrayList<>())
            .add("seed " + o.seed() + " at step " + o.result().divergedAtStep());
      }
    }
    String metric = perplexity ? "perplexity" : "accuracy";
    StringBuilder t = new StringBuilder();
    t.append(String.format(Locale.ROOT, "| method | seeds | final train %s | final eval %s | steps to dense's final eval %s"
        + " | pruning share of step + pruning time |%n", perplexity ? "perplexity" : "loss", metric, metric));
    t.append("|---|---|---|---|---|---|\n");
    for (Map.Entry<String, List<Outcome>> e : byMethod.entrySet()) {
      List<Outcome> runs = e.getValue();
      String seeds = runs.size() + (diverged.containsKey(e.getKey())
          ? " (diverged, left out: " + String.join(", ", diverged.get(e.getKey())) + ")" : "");
      if (runs.isEmpty()) {
        t.append(String.format(Locale.ROOT, "| %s | %s | - | - | - | - |%n", e.getKey(), seeds));
        continue;
      }
      double[] train = runs.stream().mapToDouble(o -> perplexity ? Math.exp(o.last().trainLoss()) : o.last().trainLoss())
          .toArray();
      double[] eval = runs.stream().mapToDouble(o -> o.last().evalMetric()).toArray();
      List<Long> reached = new ArrayList<>();
      int comparable = 0;
      for (Outcome o : runs) {
        Double target = denseFinal.get(o.seed());
        if (target == null) {
          continue;
        }
        comparable++;
        for (MetricRecord r : o.result().metrics()) {
          if (perplexity ? r.evalMetric() <= target : r.evalMetric() >= target) {
            reached.add(r.step());
            break;
          }
        }
      }
      double pruning = runs.stream().mapToDouble(Outcome::pruningSeconds).sum();
      double total = runs.stream().mapToDouble(o -> o.stepSeconds() + o.pruningSeconds()).sum();
      String steps = comparable == 0 ? "no dense run"
          : reached.isEmpty() ? "not reached (0/" + comparable + ")"
          : meanStd(reached.stream().mapToDouble(Long::doubleValue).toArray(), 0)
              + (reached.size() < comparable ? " (" + reached.size() + "/" + comparable + " reached)" : "");
      t.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.2f %% |%n", e.getKey(), seeds,
          meanStd(train, perplexity ? 1 : 4), meanStd(eval, perplexity ? 1 : 4), steps, 100 * pruning / total));
    }
    return t.toString();
  }

  private static String meanStd(double[] values, int decimals) {
    double mean = SeedSpread.mean(values);
    String format = "%." + decimals + "f";
    return values.length < 2 ? String.format(Locale.ROOT, format, mean)
        : String.format(Locale.ROOT, format + " ± " + format, mean, SeedSpread.sampleStandardDeviation(values, mean));
  }
}
