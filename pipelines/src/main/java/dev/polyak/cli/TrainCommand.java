package dev.polyak.cli;

import ai.djl.Device;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.io.FolderLock;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingListener;
import dev.polyak.train.TrainingRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak train}: one training run from a run file, locally, resumable. */
@Command(
    name = "train",
    description = {
      "Train one model as a run file describes it, with checkpoints.",
      "Checkpoints are written periodically; run it again on the same --out folder to resume from"
          + " the newest valid checkpoint. Prints a metric line per evaluation and the final"
          + " metrics. Exit code 3 when the loss became NaN or infinite (the run diverged)."
    })
final class TrainCommand implements Callable<Integer>, RecoveryAdvice {
  /** Exit code of a run whose loss stopped being finite. */
  static final int DIVERGED = 3;

  @Option(
      names = "--config",
      required = true,
      description = "The run file (YAML); see README, 'Run files'.")
  Path config;

  @Option(
      names = "--out",
      description =
          "Output folder for run.json, checkpoints/ and result.json" + " (default: runs/<run id>).")
  Path out;

  @Option(
      names = "--wait",
      description =
          "If another polyak process holds the output folder, wait until it ends"
              + " (default: exit with code 2 naming it).")
  boolean waitForFolder;

  @Mixin EngineMixin engine;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The run folder, once known: where a failed run's intact checkpoints are. */
  private Path folder;

  @Override
  public Integer call() {
    Device target = engine.apply();
    RunSpec run = RunSpec.load(config);
    folder = out != null ? out : Path.of("runs", run.runId());
    try (FolderLock lock = FolderOwnership.take(folder, "run folder", waitForFolder, spec)) {
      int code = train(run, folder, target, spec.commandLine().getOut());
      FolderOwnership.reportLoss(lock, "run folder", spec.commandLine().getOut());
      return code;
    }
  }

  @Override
  public Optional<String> recoveryAdvice() {
    return folder == null ? Optional.empty() : Optional.of(resumeAdvice(folder));
  }

  /** What a run stopped by a file-system failure kept, and how to resume it. */
  static String resumeAdvice(Path runFolder) {
    Optional<CheckpointStore.Located> newest =
        Files.isDirectory(runFolder.resolve("checkpoints"))
            ? new CheckpointStore(runFolder.resolve("checkpoints"), RetentionPolicy.keepAll())
                .latestValidFile(Long.MAX_VALUE)
            : Optional.empty();
    return newest
        .map(
            n ->
                "the newest intact checkpoint is "
                    + n.file()
                    + " (step "
                    + n.checkpoint().step()
                    + "); once fixed, run the same command again to resume from it")
        .orElse("no checkpoint was saved yet; once fixed, run the same command again");
  }

  /**
   * Trains (or resumes) {@code run} in {@code folder}, reporting to {@code console}; returns the
   * exit code.
   */
  static int train(RunSpec run, Path folder, Device target, PrintWriter console) {
    console.printf(
        "run %s: %s on %s (%s -> %s), %d steps, batch %d, seed %d; output %s%n",
        run.runId(),
        run.model(),
        run.data(),
        run.trainSplit(),
        run.evalSplit(),
        run.training().steps(),
        run.training().batchSize(),
        run.training().seed(),
        folder);
    console.flush();
    TrainingRun.Result result;
    String metric = run.family().transformer() ? "perplexity" : "accuracy";
    try (StepProgress progress = new StepProgress(run.training().steps(), metric, console)) {
      result = TrainingRun.run(run, folder, target, progress);
    }
    if (result.resumedFromStep() > 0) {
      console.printf("(resumed from step %d)%n", result.resumedFromStep());
    }
    if (result.status() == TrainingRun.Status.DIVERGED) {
      console.printf(
          "run %s diverged at step %d (the loss was not finite); last good checkpoint in %s%n",
          result.runId(), result.divergedAtStep(), folder.resolve("checkpoints"));
      console.flush();
      return DIVERGED;
    }
    MetricRecord last = result.last().orElseThrow();
    console.printf(
        "final: step %d, train loss %.4f, eval loss %.4f, %s %.4f, kept parameters %d%n",
        last.step(),
        last.trainLoss(),
        last.evalLoss(),
        metric,
        last.evalMetric(),
        last.keptParameters());
    console.printf("wrote %s%n", folder.resolve("result.json"));
    if (!result.pruneSteps().isEmpty()) {
      console.printf(
          "wrote %s (%d pruning events)%n",
          folder.resolve(dev.polyak.train.PruneEventFiles.COMBINED), result.pruneSteps().size());
    }
    console.flush();
    return 0;
  }

  /** A progress bar (step, loss, ETA) on a terminal, and one line per evaluation everywhere. */
  private static final class StepProgress implements TrainingListener, AutoCloseable {
    private final ProgressBar bar;
    private final String metric;
    private final PrintWriter console;

    StepProgress(long steps, String metric, PrintWriter console) {
      this.metric = metric;
      this.console = console;
      this.bar =
          System.console() == null
              ? null
              : new ProgressBarBuilder()
                  .setTaskName("train")
                  .setInitialMax(steps)
                  .setStyle(ProgressBarStyle.ASCII)
                  .setUnit(" steps", 1)
                  .showSpeed()
                  .build();
    }

    @Override
    public void onStep(long step, double loss) {
      if (bar != null) {
        bar.stepTo(step);
        bar.setExtraMessage(String.format(" loss %.4f", loss));
      }
    }

    @Override
    public void onMetrics(MetricRecord r) {
      String line =
          String.format(
              "step %d: train loss %.4f, eval loss %.4f, %s %.4f, lr %.3g, %.1f ms/step",
              r.step(),
              r.trainLoss(),
              r.evalLoss(),
              metric,
              r.evalMetric(),
              r.learningRate(),
              r.stepMillis());
      if (bar != null) {
        bar.setExtraMessage(" " + line);
      }
      console.println(line);
      console.flush();
    }

    @Override
    public void onPrune(dev.polyak.schemas.PruneEvent e) {
      boolean weights = !e.getKeptWeightsAfter().isEmpty();
      long kept =
          weights
              ? e.getKeptWeightsAfter().stream().mapToLong(Long::longValue).sum()
              : e.getKeptAfter().stream().filter(k -> k).count();
      long of =
          weights
              ? e.getKeptWeightsBefore().stream().mapToLong(Long::longValue).sum()
              : e.getKeptAfter().size();
      console.printf(
          "step %d: %s pruning kept %d of %d %s (target %d), parameters %d -> %d, %.1f s (scoring"
              + " %.1f s)%s%n",
          e.getStep(),
          e.getMethod(),
          kept,
          of,
          String.join("+", e.getScope()),
          e.getTargetKept(),
          e.getKeptParametersBefore(),
          e.getKeptParametersAfter(),
          e.getWallSeconds(),
          e.getScoringSeconds(),
          e.getRewoundToStep() == null ? "" : ", weights rewound to step " + e.getRewoundToStep());
      console.flush();
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
