package dev.polyak.train;

import ai.djl.Device;
import dev.polyak.BadInputException;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.read.ShardSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A run folder written by {@link TrainingRun}, opened for reading: the spec from its {@code
 * run.json} and its checkpoints, from which fresh trainers are restored exactly as a resume
 * restores them (the checkpoint must belong to the run, and the shards must be the ones it trained
 * on). Never writes into the folder.
 */
public final class SavedRun {
  private final Path folder;
  private final RunSpec spec;
  private final CheckpointStore store;

  private SavedRun(Path folder, RunSpec spec) {
    this.folder = folder;
    this.spec = spec;
    this.store = new CheckpointStore(folder.resolve("checkpoints"), RetentionPolicy.keepAll());
  }

  /**
   * Reads {@code <folder>/run.json}.
   *
   * @throws BadInputException naming the path if the folder or its run.json is missing or
   *     unreadable
   */
  public static SavedRun open(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new BadInputException(folder + ": no such run folder");
    }
    Path file = folder.resolve("run.json");
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(
          file + ": no such file; " + folder + " is not a run folder written by polyak train");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read it: " + e.getMessage());
    }
    return new SavedRun(folder, specOf(text, file, null));
  }

  /**
   * The spec a {@code run.json} text records (also carried inside every checkpoint), with {@code
   * data} (when not null) in place of its shard path; its hash must be the recorded run id.
   *
   * @param file where the text came from, for messages
   */
  static RunSpec specOf(String text, Path file, Path data) {
    Map<String, Object> saved;
    RunSpec spec;
    try {
      saved = TrainingRun.readMap(text);
      // run.json keeps the canonical spec plus the fields outside the run's identity; the canonical
      // keys are run-file keys, and JSON is YAML.
      Map<String, Object> fields = new LinkedHashMap<>(asMap(saved.get("spec")));
      if (fields.get("pruning") instanceof Map<?, ?> pruning) {
        fields.put("pruning", dev.polyak.prune.PruningSpec.runFileBlock(asMap(pruning)));
      }
      fields.put("data", data != null ? data.toString() : saved.get("data"));
      fields.put("checkpoint_every", saved.get("checkpoint_every"));
      fields.put("keep_last", saved.get("keep_last"));
      fields.put("keep_every", saved.get("keep_every"));
      spec = RunSpec.parse(TrainingRun.write(fields), null);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": " + e.getMessage());
    }
    if (!spec.runId().equals(saved.get("run_id"))) {
      throw new BadInputException(
          file
              + ": its spec hashes to run "
              + spec.runId()
              + " but it says run "
              + saved.get("run_id")
              + "; the file was edited or written by an incompatible polyak version");
    }
    return spec;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object spec) {
    if (!(spec instanceof Map)) {
      throw new IllegalArgumentException("no 'spec' object");
    }
    return (Map<String, Object>) spec;
  }

  public Path folder() {
    return folder;
  }

  public RunSpec spec() {
    return spec;
  }

  public CheckpointStore checkpoints() {
    return store;
  }

  /** The newest valid checkpoint at step {@code atMostStep} or before, if any. */
  public Optional<Checkpoint> latestValid(long atMostStep) {
    return store.latestValid(atMostStep);
  }

  /**
   * Opens the run's shard set (verifying it against {@code checkpoint}'s manifest hash and the
   * checkpoint against the run) and builds a trainer restored to {@code checkpoint}. The caller
   * closes it.
   */
  public Trainer restore(Checkpoint checkpoint, Device device) {
    return restore(spec, checkpoint, device, folder);
  }

  /** A trainer for {@code spec} restored to {@code checkpoint}, after the checks a resume makes. */
  static Trainer restore(RunSpec spec, Checkpoint checkpoint, Device device, Path where) {
    ShardSet shards = ShardSet.open(spec.data());
    TrainingRun.requireSameRun(checkpoint, spec, TrainingRun.manifestSha256(shards), where);
    Trainer trainer = Trainers.create(spec, shards, device);
    try {
      TrainerCheckpoints.restore(trainer, checkpoint);
      return trainer;
    } catch (RuntimeException e) {
      trainer.close();
      throw e;
    }
  }
}
