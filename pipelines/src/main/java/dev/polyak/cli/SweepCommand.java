package dev.polyak.cli;

import dev.polyak.BadInputException;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.runner.RunnerMixin;
import dev.polyak.schemas.RunTask;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak sweep}: a grid of training runs as one Beam job, resumable, with its reports. */
@Command(name = "sweep",
    description = {
        "Run every cell of a sweep file as one Beam job, with reports.",
        "Runs every cell of a sweep file (models x methods x ratios x seeds x ...) as one Beam job: each run trains"
            + " in <out>/runs/<run_id>/ (resumable), its chosen checkpoints are diagnosed, and <out>/report/ gets"
            + " runs.avro, metrics.avro, prune_events.avro, diagnostics.avro, summary.avro and report.html.",
        "Started again, it skips finished and diverged runs, resumes unfinished ones from their newest valid"
            + " checkpoint, retries failed ones and trains cells added to the file. Exit code 0 when no run FAILED,"
            + " 1 when some did (diverged runs are results, not failures), 2 for a bad sweep file."})
final class SweepCommand implements Callable<Integer>, RecoveryAdvice {
  @Option(names = "--config", required = true, description = "The sweep file (sweep.yaml).")
  Path config;

  @Option(names = "--out", description = "Output folder (default: the file's 'out', else sweep-out next to the file).")
  Path out;

  @Option(names = "--dry-run", description = "Print the cells, their count, their state and the estimated work; train nothing.")
  boolean dryRun;

  @Option(names = "--rerun-failed", description = "Train only the runs recorded FAILED or DIVERGED (a diverged run"
      + " resumes from its newest checkpoint before the divergence).")
  boolean rerunFailed;

  @Option(names = "--only", split = ",", description = "Train only these runs (run id prefixes, comma-separated);"
      + " the report still covers every cell.")
  List<String> only = new ArrayList<>();

  @Option(names = "--threads", defaultValue = "1", description = "Engine intra-op threads per worker process (default"
      + " ${DEFAULT-VALUE}; with several slots per process keep slots x threads <= cores).")
  int threads;

  @Option(names = "--restarts", defaultValue = "3", description = "Times Flink restarts the job after a task failure,"
      + " 5 s apart (default ${DEFAULT-VALUE}; the job's own restart strategy, which Flink prefers to a cluster's;"
      + " finished runs are skipped and unfinished ones resume on restart).")
  int restarts;

  @Option(names = "--wait", description = "If another polyak process holds the output folder, wait until it ends"
      + " (default: exit with code 2 naming it).")
  boolean waitForFolder;

  @Mixin RunnerMixin runner;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The sweep folder, once known. */
  private Path folder;

  @Override
  public Optional<String> recoveryAdvice() {
    return Optional.ofNullable(folder).map(f -> "what finished is kept in " + f.resolve("runs") + "; once fixed, run the"
        + " same command again: it skips finished runs and resumes the others from their newest intact checkpoint");
  }

  @Override
  public Integer call() {
    SweepSpec sweep = SweepSpec.load(config);
    Path folder = out != null ? out : sweep.out() != null ? Path.of(sweep.out())
        : config.toAbsolutePath().getParent().resolve("sweep-out");
    folder = folder.toAbsolutePath();
    this.folder = folder;
    List<RunTask> tasks = SweepPipeline.tasks(sweep.cells(), folder);
    RunPolicy policy = new RunPolicy(rerunFailed, only);
    PrintWriter console = spec.commandLine().getOut();
    if (dryRun) {
      printCells(console, sweep, tasks, policy);
      dev.polyak.data.io.FolderLock.holder(folder).ifPresent(h -> console.printf("in use by %s (%s)%n", h.describe(),
          h.command()));
      console.flush();
      return 0;
    }
    try (dev.polyak.data.io.FolderLock lock = FolderOwnership.take(folder, "sweep folder", waitForFolder, spec)) {
      int code = sweep(sweep, folder, tasks, policy, console);
      FolderOwnership.reportLoss(lock, "sweep folder", console);
      return code;
    }
  }

  /** Trains what {@code policy} says of the sweep's cells, as one job, and prints the report's summary. */
  private int sweep(SweepSpec sweep, Path folder, List<RunTask> tasks, RunPolicy policy, PrintWriter console) {
    RunnerSettings settings = runner.settings();
    TrainRunFn.Settings training = new TrainRunFn.Settings(policy, sweep.diagnostics(), sweep.device(), threads, null);
    long toTrain = 0;
    int cellsToTrain = 0;
    for (int i = 0; i < tasks.size(); i++) {
      if (policy.trains(tasks.get(i).getRunId(), new RunFolder(Path.of(tasks.get(i).getRunFolder())).recorded())) {
        toTrain += sweep.cells().get(i).spec().training().steps();
        cellsToTrain++;
      }
    }
    console.printf("sweep %s: %d cells, %d to train now, on %s; output in %s%n", config, tasks.size(), cellsToTrain,
        settings.describe(), folder);
    console.flush();
    SweepPipeline.Outcome outcome;
    SweepProgress.reset();
    try (Progress progress = Progress.start(console, cellsToTrain, toTrain, settings.isLocal())) {
      outcome = SweepPipeline.run(new SweepPipeline.SweepJob(tasks, folder, training),
          dev.polyak.pipelines.FlinkRestarts.allow(settings.toPipelineOptions("polyak-sweep"), restarts, 5));
    }
    console.printf("report: %s%n", outcome.html());
    console.print(ReportCommand.table(outcome.summary()));
    long failed = outcome.summary().stream().mapToLong(s -> s.getFailed()).sum();
    console.flush();
    return failed > 0 ? 1 : 0;
  }

  private static void printCells(PrintWriter console, SweepSpec sweep, List<RunTask> tasks, RunPolicy policy) {
    console.printf("%-16s  %-14s  %-8s  %s%n", "run id", "state", "this run", "cell");
    for (int i = 0; i < tasks.size(); i++) {
      RunTask t = tasks.get(i);
      RunFolder.Recorded recorded = new RunFolder(Path.of(t.getRunFolder())).recorded();
      Cell c = sweep.cells().get(i);
      console.printf("%-16s  %-14s  %-8s  %s seed=%d%n", t.getRunId(), state(t, recorded),
          policy.trains(t.getRunId(), recorded) ? "trains" : "reports", c.config(), c.seed());
    }
    console.printf("%d cells%n%s%s%n", tasks.size(), sweep.estimate().describe(),
        sweep.diagnostics().describe(sweep.cells()));
    console.flush();
  }

  /** A run's recorded outcome, or for an unfinished run the step of its newest checkpoint ("at step 150"). */
  private static String state(RunTask task, RunFolder.Recorded recorded) {
    if (recorded != RunFolder.Recorded.NONE) {
      return recorded.name().toLowerCase(Locale.ROOT);
    }
    List<Path> checkpoints = new dev.polyak.checkpoint.CheckpointStore(Path.of(task.getRunFolder()).resolve("checkpoints"),
        dev.polyak.checkpoint.RetentionPolicy.keepAll()).list();
    // The newest checkpoint's step from its name: a dry run over a large sweep reads no checkpoint.
    return checkpoints.isEmpty() ? "not started"
        : "at step " + dev.polyak.checkpoint.CheckpointStore.stepOf(checkpoints.get(checkpoints.size() - 1));
  }

  /**
   * The local progress display: a bar over the training steps of the runs that train now, with runs
   * done and running, on a terminal; otherwise a line every 30 s. Meaningful where the workers run in
   * this JVM (embedded Flink, DirectRunner); on a cluster the Flink UI shows the job's metrics.
   */
  private static final class Progress implements AutoCloseable {
    private final Thread thread;
    private final ProgressBar bar;

    private Progress(Thread thread, ProgressBar bar) {
      this.thread = thread;
      this.bar = bar;
    }

    static Progress start(PrintWriter console, int runs, long steps, boolean local) {
      if (!local || runs == 0) {
        return new Progress(null, null);
      }
      ProgressBar bar = System.console() == null ? null : new ProgressBarBuilder().setTaskName("sweep")
          .setInitialMax(steps).setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).build();
      long started = System.nanoTime();
      Thread thread = new Thread(() -> {
        long lastLine = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
          SweepProgress.Snapshot s = SweepProgress.snapshot();
          String runsText = String.format(Locale.ROOT, "runs %d/%d done, %d running", s.done(), runs, s.running());
          if (bar != null) {
            bar.stepTo(Math.min(steps, s.stepsTrained()));
            bar.setExtraMessage(" " + runsText);
          } else if (System.nanoTime() - lastLine > 30e9) {
            lastLine = System.nanoTime();
            double elapsed = (lastLine - started) / 1e9;
            String eta = s.stepsTrained() == 0 ? "?" : String.format(Locale.ROOT, "%.0f s",
                elapsed * (steps - s.stepsTrained()) / s.stepsTrained());
            synchronized (console) {
              console.printf("sweep: %s, steps %d/%d, %.0f s elapsed, ETA %s%n", runsText, s.stepsTrained(), steps,
                  elapsed, eta);
              console.flush();
            }
          }
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "sweep-progress");
      thread.setDaemon(true);
      thread.start();
      return new Progress(thread, bar);
    }

    @Override
    public void close() {
      if (thread != null) {
        thread.interrupt();
      }
      if (bar != null) {
        bar.close();
      }
    }
  }
}
