package dev.polyak.service;

import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.schemas.RunTask;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A sweep laid out on its folder: every cell with its run folder and what its policy does with it
 * now. {@link Sweeps#plan} makes it; {@link Sweeps#run} trains it; a dry run only prints it.
 *
 * @param spec the sweep
 * @param folder the sweep folder (absolute): {@code runs/<run_id>/} and {@code report/}
 * @param policy which cells train in this invocation
 * @param runs one entry per cell, in grid order
 */
public record SweepPlan(SweepSpec spec, Path folder, RunPolicy policy, List<PlannedRun> runs) {
  public SweepPlan {
    runs = List.copyOf(runs);
  }

  /**
   * One cell on the sweep folder.
   *
   * @param cell the cell
   * @param task its Beam element, with its run folder
   * @param recorded the outcome its folder records
   * @param trains whether it trains in this invocation (otherwise it only reports)
   */
  public record PlannedRun(Cell cell, RunTask task, RunFolder.Recorded recorded, boolean trains) {
    /**
     * The recorded outcome, or for an unfinished run the step of its newest checkpoint ("at step
     * 150").
     */
    public String state() {
      if (recorded != RunFolder.Recorded.NONE) {
        return recorded.name().toLowerCase(Locale.ROOT);
      }
      long step = newestCheckpointStep();
      return step == 0 ? "not started" : "at step " + step;
    }

    /**
     * The training steps this run has left: its steps past its newest checkpoint (all of them
     * without one; none once a checkpoint is at its last step). What resumes from the checkpoint of
     * a stopped, failed or unfinished run trains only that much.
     */
    public long stepsLeft() {
      long steps = cell.spec().training().steps();
      return Math.max(0, steps - Math.min(steps, newestCheckpointStep()));
    }

    /**
     * The step of the run's newest checkpoint, 0 without one; from its file name, so that a plan
     * over a large sweep reads no checkpoint (a corrupt newest one, which the resume skips, makes
     * the run train more steps than this says).
     */
    private long newestCheckpointStep() {
      List<Path> checkpoints =
          new CheckpointStore(
                  Path.of(task.getRunFolder()).resolve("checkpoints"), RetentionPolicy.keepAll())
              .list();
      return checkpoints.isEmpty()
          ? 0
          : CheckpointStore.stepOf(checkpoints.get(checkpoints.size() - 1));
    }
  }

  /** The Beam elements of every cell, in grid order. */
  public List<RunTask> tasks() {
    return runs.stream().map(PlannedRun::task).toList();
  }

  /** How many cells train in this invocation. */
  public int cellsToTrain() {
    return (int) runs.stream().filter(PlannedRun::trains).count();
  }

  /**
   * The training steps this invocation has to do: of the cells that train, the steps each has left
   * past its newest checkpoint (a resumed run does not train its steps before the checkpoint again;
   * a skipped run trains none), as the run folders stand when asked.
   */
  public long stepsToTrain() {
    return runs.stream().filter(PlannedRun::trains).mapToLong(PlannedRun::stepsLeft).sum();
  }
}
