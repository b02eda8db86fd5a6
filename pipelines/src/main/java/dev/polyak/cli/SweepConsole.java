package dev.polyak.cli;

import dev.polyak.data.io.FolderLock;
import dev.polyak.service.SweepPlan;
import dev.polyak.service.SweepReport;
import dev.polyak.service.Sweeps;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.sweep.SweepSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A planned sweep trained through {@link Sweeps#run} with its account on the console: what trains
 * where, a progress display while it trains, then the report's path and summary table. The commands
 * that run sweeps ({@code sweep}, {@code compare}, {@code quickstart}) share it.
 */
final class SweepConsole {
  private SweepConsole() {}

  /**
   * Takes {@code folder} for this command (refused, or with {@code waitForFolder} waiting, while
   * another process holds it), then plans the sweep on it with {@code policy} and runs it; returns
   * the exit code: 0, or 1 when some run FAILED.
   *
   * @param sweep the sweep, asked for once the folder is this process's (so a sweep file written
   *     into the folder is written by its owner, and the plan counts what trains)
   * @param sweepFile the file the sweep is read from, as the console names it
   */
  static int run(
      Supplier<SweepSpec> sweep,
      Path sweepFile,
      Path folder,
      RunPolicy policy,
      Sweeps.Execution execution,
      boolean waitForFolder,
      CommandSpec spec) {
    PrintWriter console = spec.commandLine().getOut();
    try (FolderLock lock = FolderOwnership.take(folder, "sweep folder", waitForFolder, spec)) {
      SweepSpec planned = sweep.get();
      Sweeps.keepSweepFile(sweepFile, folder);
      int code = run(Sweeps.plan(planned, folder, policy), execution, sweepFile, console);
      FolderOwnership.reportLoss(lock, "sweep folder", console);
      return code;
    }
  }

  private static int run(
      SweepPlan plan, Sweeps.Execution execution, Path sweepFile, PrintWriter console) {
    console.printf(
        "sweep %s: %d cells, %d to train now, on %s; output in %s%n",
        sweepFile,
        plan.runs().size(),
        plan.cellsToTrain(),
        execution.runner().describe(),
        plan.folder());
    console.flush();
    SweepReport report;
    try (Progress progress =
        Progress.start(
            console, plan.cellsToTrain(), plan.stepsToTrain(), execution.runner().isLocal())) {
      report = Sweeps.run(plan, execution);
    }
    console.printf("report: %s%n", report.html());
    console.print(report.table());
    console.print(report.claimsTable());
    console.flush();
    return report.failedRuns() > 0 ? 1 : 0;
  }

  /** What a sweep stopped by a file-system failure left in {@code folder}, and how to go on. */
  static String recoveryAdvice(Path folder) {
    return "what finished is kept in "
        + folder.resolve("runs")
        + "; once fixed, run the same command again: it skips"
        + " finished runs and resumes the others from their newest intact checkpoint";
  }

  /**
   * The local progress display: a bar over the training steps of the runs that train now, with runs
   * done and running, on a terminal; otherwise a line every 30 s. Meaningful where the workers run
   * in this JVM (embedded Flink, DirectRunner); on a cluster the Flink UI shows the job's metrics.
   */
  static final class Progress implements AutoCloseable {
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
      ProgressBar bar =
          System.console() == null
              ? null
              : new ProgressBarBuilder()
                  .setTaskName("sweep")
                  .setInitialMax(steps)
                  .setStyle(ProgressBarStyle.ASCII)
                  .setUnit(" steps", 1)
                  .build();
      long started = System.nanoTime();
      Thread thread =
          new Thread(
              () -> {
                long lastLine = System.nanoTime();
                while (!Thread.currentThread().isInterrupted()) {
                  SweepProgress.Snapshot s = SweepProgress.snapshot();
                  if (bar != null) {
                    bar.stepTo(Math.min(steps, s.stepsTrained()));
                    bar.setExtraMessage(" " + runsText(s, runs));
                  } else if (System.nanoTime() - lastLine > 30e9) {
                    lastLine = System.nanoTime();
                    synchronized (console) {
                      console.println(line(s, runs, steps, (lastLine - started) / 1e9));
                      console.flush();
                    }
                  }
                  try {
                    Thread.sleep(500);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "sweep-progress");
      thread.setDaemon(true);
      thread.start();
      return new Progress(thread, bar);
    }

    /**
     * The progress line printed where there is no terminal: {@code "sweep: runs 1/2 done, 1
     * running, steps 300/600, 40 s elapsed, ETA 40 s"}. The ETA extrapolates the steps trained so
     * far to the {@code steps} planned; once they are all trained (or more: a run resumed from an
     * older checkpoint than planned), the line shows the plan's count and no ETA.
     *
     * @param runs the runs planned to train
     * @param steps the steps planned ({@link dev.polyak.service.SweepPlan#stepsToTrain})
     */
    static String line(SweepProgress.Snapshot s, int runs, long steps, double elapsedSeconds) {
      long trained = Math.min(steps, s.stepsTrained());
      String eta =
          trained == steps
              ? ""
              : trained == 0
                  ? ", ETA ?"
                  : String.format(
                      Locale.ROOT, ", ETA %.0f s", elapsedSeconds * (steps - trained) / trained);
      return String.format(
          Locale.ROOT,
          "sweep: %s, steps %d/%d, %.0f s elapsed%s",
          runsText(s, runs),
          trained,
          steps,
          elapsedSeconds,
          eta);
    }

    /** {@code "runs 1/2 done, 1 running"}, with the diagnostics' count once there is one. */
    static String runsText(SweepProgress.Snapshot s, int runs) {
      return String.format(Locale.ROOT, "runs %d/%d done, %d running", s.done(), runs, s.running())
          + diagnosticsText(s);
    }

    /**
     * ", diagnostics 12/20": the slots diagnose each run as it ends and the diagnostics stage runs
     * after training, when the step count stands still; without it a sweep there looks hung.
     */
    static String diagnosticsText(SweepProgress.Snapshot s) {
      return s.diagnosticsPlanned() == 0
          ? ""
          : String.format(
              Locale.ROOT, ", diagnostics %d/%d", s.diagnosticsDone(), s.diagnosticsPlanned());
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
