package dev.polyak.train;

import ai.djl.Device;
import dev.polyak.BadInputException;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A trainer rebuilt from one checkpoint file alone: the checkpoint carries its run's {@code
 * run.json} (the canonical spec, the shard-set path and the manifest's SHA-256), so the model,
 * weights, masks, optimizer state and step come back exactly as the run saved them. Used by
 * diagnostics, stability estimates and anything else that starts from a saved state.
 *
 * @param spec the run's spec, with its data path (or the override)
 * @param runId the run's identity, checked against the one the checkpoint recorded
 */
public record RestoredRun(Trainer trainer, RunSpec spec, String runId, Checkpoint checkpoint)
    implements AutoCloseable {
  /**
   * Restores {@code checkpointFile}.
   *
   * @param data the shard set to use instead of the recorded path (null: the recorded one); its
   *     manifest must be the one the run trained on
   * @throws BadInputException for a missing or unreadable file, a checkpoint without a run
   *     description, or shards that are not the run's
   */
  public static RestoredRun open(Path checkpointFile, Path data, Device device) {
    if (!Files.isRegularFile(checkpointFile)) {
      throw new BadInputException(checkpointFile + ": no such checkpoint file");
    }
    return of(CheckpointStore.locate(checkpointFile), data, device);
  }

  /**
   * Restores a checkpoint already read ({@link CheckpointStore#locate}); the same checks as {@link
   * #open}.
   */
  public static RestoredRun of(CheckpointStore.Located located, Path data, Device device) {
    Checkpoint checkpoint = located.checkpoint();
    RunSpec spec = SavedRun.specOf(checkpoint.runSpecJson(), located.file(), data);
    Trainer trainer = SavedRun.restore(spec, checkpoint, device, located.file());
    return new RestoredRun(trainer, spec, spec.runId(), checkpoint);
  }

  @Override
  public void close() {
    trainer.close();
  }
}
