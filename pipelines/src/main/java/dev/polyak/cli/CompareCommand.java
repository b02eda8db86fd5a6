package dev.polyak.cli;

import dev.polyak.BadInputException;
import dev.polyak.data.read.ShardSet;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.prune.PruningMethod;
import dev.polyak.service.Comparison;
import dev.polyak.service.Sweeps;
import dev.polyak.sweep.RunPolicy;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak compare}: pruning methods side by side on one model and shard set, over seeds, with
 * the same one-shot schedule. A front-end over a sweep: it writes the equivalent sweep file ({@link
 * Comparison}: grid method × ratio × seed) to {@code <out>/sweep.yaml} and runs it as {@code polyak
 * sweep} does, so its statistics are the sweep summary's and an interrupted comparison resumes
 * where it stopped.
 */
@Command(
    name = "compare",
    description = {
      "Compare pruning methods on one model, over several seeds.",
      "Writes the equivalent sweep file to <out>/sweep.yaml (grid: method x ratio x seed; one-shot pruning of"
          + " --ratio at --prune-step, dense = none) and runs it as polyak sweep does, --parallel runs at once on an"
          + " embedded Flink.",
      "Runs go to <out>/runs/<run_id>/ (resumable), reports to <out>/report/; prints the sweep summary's table."
    })
final class CompareCommand extends SweepFolderCommand {
  @Option(
      names = "--shards",
      required = true,
      description = "The shard set (polyak preprocess output).")
  Path shards;

  @Option(
      names = "--model",
      defaultValue = "bert-tiny",
      description = "Model preset (default ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--train-split",
      defaultValue = "train",
      description = "Split trained on (default ${DEFAULT-VALUE}).")
  String trainSplit;

  @Option(
      names = "--eval-split",
      description = "Held-out split (default: the family's, valid for text, test for images).")
  String evalSplit;

  @Option(
      names = "--methods",
      split = ",",
      defaultValue = "dense,pl-gate,kappa-rank,random,magnitude",
      description = "Methods, comma-separated (default ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(
      names = "--seeds",
      split = ",",
      defaultValue = "0,1,2",
      description = "Seeds (default ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(
      names = "--steps",
      defaultValue = "1000",
      description = "Training steps per run (default ${DEFAULT-VALUE}).")
  long steps;

  @Option(
      names = "--prune-step",
      defaultValue = "100",
      description = "Step of the one-shot pruning (default ${DEFAULT-VALUE}).")
  long pruneStep;

  @Option(
      names = "--ratio",
      defaultValue = "0.5",
      description = "Fraction of the structures pruned (default ${DEFAULT-VALUE}).")
  double ratio;

  @Option(
      names = "--scope",
      description = "Structure kinds to prune, comma-separated (default: the model's own).")
  String scope;

  @Option(
      names = "--eval-every",
      defaultValue = "100",
      description = "Steps between evaluations (default ${DEFAULT-VALUE}).")
  long evalEvery;

  @Option(
      names = "--eval-samples",
      defaultValue = "512",
      description = "Held-out samples per evaluation (default ${DEFAULT-VALUE}).")
  int evalSamples;

  @Option(names = "--batch-size", description = "Batch size (default: the family's).")
  Integer batchSize;

  @Option(
      names = "--parallel",
      defaultValue = "2",
      description =
          "Runs trained at once, one intra-op thread each" + " (default ${DEFAULT-VALUE}).")
  int parallel;

  @Option(names = "--out", required = true, description = "Output folder.")
  Path out;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (parallel < 1) {
      throw new BadInputException("--parallel must be at least 1, got " + parallel);
    }
    for (String method : methods) {
      try {
        PruningMethod.of(method);
      } catch (IllegalArgumentException e) {
        throw new BadInputException("--methods: " + e.getMessage(), e);
      }
    }
    // every run trains on this shard set: a missing or broken one is the user's mistake, named now,
    // not a FAILED run per cell once the sweep has started
    ShardSet.open(shards.toAbsolutePath());
    Comparison comparison =
        new Comparison(
            shards,
            model,
            trainSplit,
            evalSplit,
            methods,
            seeds,
            steps,
            pruneStep,
            ratio,
            scope == null ? List.of() : List.of(scope.split("\\s*,\\s*")),
            evalEvery,
            evalSamples,
            batchSize);
    folder = out.toAbsolutePath();
    Path sweepFile = folder.resolve("sweep.yaml");
    return SweepConsole.run(
        () -> comparison.writeSweepFile(sweepFile),
        sweepFile,
        folder,
        RunPolicy.standard(),
        Sweeps.Execution.of(RunnerSettings.embeddedFlink(parallel)),
        false,
        spec);
  }
}
