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
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak sweep}: a grid of training runs as one Beam job, resumable, with its reports. */
@Command(
    name = "sweep",
    description = {
      "Run every cell of a sweep file as one Beam job, with reports.",
      "Runs every cell of a sweep file (models x methods x ratios x seeds x ...) as one Beam job: each run trains"
          + " in <out>/runs/<run_id>/ (resumable), its chosen checkpoints are diagnosed, and <out>/report/ gets"
          + " runs.avro, metrics.avro, prune_events.avro, diagnostics.avro, summary.avro and report.html.",
      "Started again, it skips finished and diverged runs, resumes unfinished ones from their newest valid"
          + " checkpoint, retries failed ones and trains cells added to the file. Exit code 0 when no run FAILED,"
          + " 1 when some did (diverged runs are results, not failures), 2 for a bad sweep file."
    })
final class SweepCommand implements Callable<Integer>, RecoveryAdvice {
  @Option(names = "--config", required = true, description = "The sweep file (sweep.yaml).")
  Path config;

  @Option(
      names = "--out",
      description = "Output folder (default: the file's 'out', else sweep-out next to the file).")
  Path out;

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
          "Times Flink restarts the job after a task failure,"
              + " 5 s apart (default ${DEFAULT-VALUE}; the job's own restart strategy, which Flink prefers to a cluster's;"
              + " finished runs are skipped and unfinished ones resume on restart).")
  int restarts;

  @Option(
      names = "--wait",
      description =
          "If another polyak process holds the output folder, wait until it ends"
              + " (default: exit with code 2 naming it).")
  boolean waitForFolder;

  @Mixin RunnerMixin runner;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The sweep folder, once known. */
  private Path folder;

  @Override
  public Optional<String> recoveryAdvice() {
    return Optional.ofNullable(folder).map(SweepConsole::recoveryAdvice);
  }

  @Override
  public Integer call() {
    SweepSpec sweep = SweepSpec.load(config);
    folder = Sweeps.folder(sweep, config, out);
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
        () -> sweep,
        config,
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
