package dev.polyak.train;

import ai.djl.Device;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.BadInputException;
import dev.polyak.data.read.ShardSet;
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
public record RestoredRun(Trainer trainer, RunSpec spec, String runId, Checkpoint checkpoint) implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

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
    Path folder = checkpointFile.toAbsolutePath().getParent();
    Checkpoint checkpoint = new CheckpointStore(folder, RetentionPolicy.keepLast(1)).load(checkpointFile);
    RunSpec spec = specOf(checkpoint, checkpointFile, data);
    ShardSet shards = ShardSet.open(spec.data());
    String sha256 = TrainingRun.manifestSha256(shards);
    String recorded = field(checkpoint, checkpointFile, "data_manifest_sha256");
    if (!sha256.equals(recorded)) {
      throw new BadInputException(checkpointFile + ": the run trained on shards whose manifest has SHA-256 " + recorded
          + ", but " + spec.data() + " has " + sha256);
    }
    Trainer trainer = Trainers.create(spec, shards, device);
    try {
      TrainerCheckpoints.restore(trainer, checkpoint);
    } catch (RuntimeException e) {
      trainer.close();
      throw e;
    }
    return new RestoredRun(trainer, spec, spec.runId(), checkpoint);
  }

  /** The spec recorded in a checkpoint, with {@code data} (when not null) in place of its shard path. */
  static RunSpec specOf(Checkpoint checkpoint, Path file, Path data) {
    try {
      ObjectNode run = (ObjectNode) JSON.readTree(checkpoint.runSpecJson());
      if (run == null || !run.has("spec") || !run.has("run_id")) {
        throw new BadInputException(file + ": the checkpoint holds no run description (spec and run_id)");
      }
      ObjectNode fields = ((ObjectNode) run.get("spec")).deepCopy();
      fields.put("data", data != null ? data.toString() : run.path("data").asText());
      fields.set("checkpoint_every", run.get("checkpoint_every"));
      fields.set("keep_last", run.get("keep_last"));
      RunSpec spec = RunSpec.parse(JSON.writeValueAsString(fields), null);
      if (!spec.runId().equals(run.get("run_id").asText())) {
        throw new BadInputException(file + ": the recorded spec hashes to run " + spec.runId() + ", not to the recorded run "
            + run.get("run_id").asText() + " (written by another polyak version?)");
      }
      return spec;
    } catch (JsonProcessingException | ClassCastException e) {
      throw new BadInputException(file + ": the checkpoint's run description is not a JSON object: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": the checkpoint's run description is invalid: " + e.getMessage());
    }
  }

  private static String field(Checkpoint checkpoint, Path file, String name) {
    try {
      return JSON.readTree(checkpoint.runSpecJson()).path(name).asText();
    } catch (JsonProcessingException e) {
      throw new BadInputException(file + ": the checkpoint's run description is not JSON: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    trainer.close();
  }
}
