package dev.polyak.service;

import dev.polyak.io.AtomicFiles;
import dev.polyak.pipelines.FlinkRestarts;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.schemas.RunTask;
import dev.polyak.sweep.Claims;
import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Sweeps as the command line and other callers use them: where a sweep's folder is, what of it
 * trains now ({@link #plan}), and training it as one Beam job with its report ({@link #run}).
 * {@code polyak sweep}, {@code polyak compare} and {@code polyak quickstart} all go through here.
 */
public final class Sweeps {
  /** Seconds between Flink's restarts of a failed sweep job. */
  static final int RESTART_DELAY_SECONDS = 5;

  private Sweeps() {}

  /**
   * How a sweep job runs.
   *
   * @param runner where the Beam job runs
   * @param threads engine intra-op threads per worker process
   * @param restarts times Flink restarts the job after a task failure
   */
  public record Execution(RunnerSettings runner, int threads, int restarts) {
    /**
     * {@code runner} with one intra-op thread per worker and three restarts, the command line's
     * defaults.
     */
    public static Execution of(RunnerSettings runner) {
      return new Execution(runner, 1, 3);
    }
  }

  /**
   * The folder of a sweep read from {@code sweepFile}: {@code out} when given, else the file's own
   * {@code out}, else {@code sweep-out} next to the file; absolute.
   */
  public static Path folder(SweepSpec spec, Path sweepFile, @Nullable Path out) {
    Path folder =
        out != null
            ? out
            : spec.out() != null
                ? Path.of(spec.out())
                : sweepFile.toAbsolutePath().getParent().resolve("sweep-out");
    return folder.toAbsolutePath();
  }

  /**
   * Keeps a copy of {@code sweepFile} in {@code folder} as {@link Claims#SWEEP_FILE} (atomically,
   * replacing an older copy; nothing when it is that file): the record of what the folder's runs
   * were asked for, and where the report reads the claims it tests.
   */
  public static void keepSweepFile(Path sweepFile, Path folder) {
    Path copy = folder.resolve(Claims.SWEEP_FILE);
    try {
      if (Files.exists(copy) && Files.isSameFile(copy, sweepFile)) {
        return;
      }
      Files.createDirectories(folder);
      AtomicFiles.writeBytes(copy, Files.readAllBytes(sweepFile));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep a copy of " + sweepFile + " as " + copy, e);
    }
  }

  /**
   * Every cell of {@code spec} on {@code folder}, with what {@code policy} does with it given what
   * its folder records.
   */
  public static SweepPlan plan(SweepSpec spec, Path folder, RunPolicy policy) {
    List<RunTask> tasks = SweepPipeline.tasks(spec.cells(), folder);
    List<SweepPlan.PlannedRun> runs = new ArrayList<>(tasks.size());
    for (int i = 0; i < tasks.size(); i++) {
      RunTask task = tasks.get(i);
      RunFolder.Recorded recorded = new RunFolder(Path.of(task.getRunFolder())).recorded();
      runs.add(
          new SweepPlan.PlannedRun(
              spec.cells().get(i), task, recorded, policy.trains(task.getRunId(), recorded)));
    }
    return new SweepPlan(spec, folder, policy, runs);
  }

  /**
   * Trains what the plan's policy says of its cells as one Beam job, diagnoses them, and writes the
   * report; {@link SweepProgress} counts the job's progress in this JVM meanwhile.
   */
  public static SweepReport run(SweepPlan plan, Execution execution) {
    TrainRunFn.Settings training =
        new TrainRunFn.Settings(
            plan.policy(),
            plan.spec().diagnostics(),
            plan.spec().device(),
            execution.threads(),
            null,
            plan.spec().earlyStopping());
    SweepProgress.reset();
    SweepPipeline.Outcome outcome =
        SweepPipeline.run(
            new SweepPipeline.SweepJob(plan.tasks(), plan.folder(), training),
            FlinkRestarts.allow(
                execution.runner().toPipelineOptions("polyak-sweep"),
                execution.restarts(),
                RESTART_DELAY_SECONDS));
    return Reports.write(outcome.reportFolder());
  }
}
