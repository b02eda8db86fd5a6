package dev.polyak.cli;

import dev.polyak.runner.RunnerMixin;
import dev.polyak.service.SweepPlan;
import dev.polyak.service.Sweeps;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of every command that runs a sweep file ({@code polyak sweep}, {@code polyak
 * experiment run}): what trains, how the job runs, the runner; and running the sweep with them.
 */
final class SweepRunOptions {
  @Option(
      names = "--dry-run",
      description =
          "Print the cells, their count, their state and the estimated work; train nothing.")
  boolean dryRun;

  @Option(
      names = "--rerun-failed",
      description =
          "Train only the runs recorded FAILED or DIVERGED (a diverged run"
              + " resumes from its newest checkpoint before the divergence).")
  boolean rerunFailed;

  @Option(
      names = "--rerun-stopped",
      description =
          "Train only the runs early stopping recorded STOPPED, from their checkpoint at the rung"
              + " to the end (early stopping leaves them alone from then on).")
  boolean rerunStopped;

  @Option(
      names = "--only",
      split = ",",
      description =
          "Train only these runs (run id prefixes, comma-separated);"
              + " the report still covers every cell.")
  List<String> only = new ArrayList<>();

  @Option(
      names = "--threads",
      defaultValue = "1",
      description =
          "Engine intra-op threads per worker process (default"
              + " ${DEFAULT-VALUE}; with several slots per process keep slots x threads <= cores).")
  int threads;

  @Option(
      names = "--restarts",
      defaultValue = "3",
      description =
          "Times Flink restarts the job after a task failure, 5 s apart (default ${DEFAULT-VALUE};"
              + " the job's own restart strategy, which Flink prefers to a cluster's; finished runs"
              + " are skipped and unfinished ones resume on restart).")
  int restarts;

  @Option(
      names = "--wait",
      description =
          "If another polyak process holds the output folder, wait until it ends"
              + " (default: exit with code 2 naming it).")
  boolean waitForFolder;

  @Mixin RunnerMixin runner;

  /**
   * With {@code --dry-run}, prints the plan of {@code sweep} on {@code folder} and returns 0;
   * otherwise trains it there (see {@link SweepConsole#run}) and returns its exit code.
   *
   * @param train the sweep as the run trains it, asked for once the folder is this process's
   */
  int run(
      SweepSpec sweep, Supplier<SweepSpec> train, Path sweepFile, Path folder, CommandSpec spec) {
    RunPolicy policy = new RunPolicy(rerunFailed, only, rerunStopped);
    PrintWriter console = spec.commandLine().getOut();
    if (dryRun) {
      printPlan(console, Sweeps.plan(sweep, folder, policy));
      dev.polyak.data.io.FolderLock.holder(folder)
          .ifPresent(h -> console.printf("in use by %s (%s)%n", h.describe(), h.command()));
      console.flush();
      return 0;
    }
    return SweepConsole.run(
        train,
        sweepFile,
        folder,
        policy,
        new Sweeps.Execution(runner.settings(), threads, restarts),
        waitForFolder,
        spec);
  }

  private static void printPlan(PrintWriter console, SweepPlan plan) {
    console.printf("%-16s  %-14s  %-8s  %s%n", "run id", "state", "this run", "cell");
    for (SweepPlan.PlannedRun run : plan.runs()) {
      Cell c = run.cell();
      console.printf(
          "%-16s  %-14s  %-8s  %s seed=%d%n",
          c.runId(), run.state(), run.trains() ? "trains" : "reports", c.config(), c.seed());
    }
    console.printf(
        "%d cells%n%s%s%n%s",
        plan.runs().size(),
        plan.spec().estimate().describe(),
        plan.spec().diagnostics().describe(plan.spec().cells()),
        plan.spec().earlyStopping().enabled()
            ? plan.spec().earlyStopping().describe() + System.lineSeparator()
            : "");
    for (dev.polyak.sweep.Claim claim : plan.spec().claims()) {
      console.printf(
          "claim %s: %s %s vs %s, %s claimed (tested by the report)%n",
          claim.id(),
          claim.statisticName(),
          dev.polyak.sweep.Claim.words(claim.config()),
          dev.polyak.sweep.Claim.words(claim.against()),
          claim.direction().id());
    }
    console.flush();
  }
}
