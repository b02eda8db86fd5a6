package dev.polyak.train;

import ai.djl.Device;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.polyak.BadInputException;
import dev.polyak.PolyakVersion;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.read.ShardSet;
import dev.polyak.io.AtomicFiles;
import dev.polyak.io.Digests;
import dev.polyak.schemas.PruneEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a {@link RunSpec} in an output folder: trains, writes a checkpoint every {@code
 * checkpointEvery} steps under {@code <out>/checkpoints/}, and at the end writes {@code
 * <out>/result.json}. Started again on the same folder, it resumes from the newest valid checkpoint
 * (a corrupt newest one is skipped with a warning) and gives the metrics an uninterrupted run
 * would; a folder that holds another run, or the same run on different shards, is refused.
 *
 * <p>A run with a {@code pruning:} block prunes as its {@link Pruner} says, between steps; each
 * event writes the checkpoints just before and after it and a {@code PruneEvent} record.
 *
 * <p>Folder layout: {@code run.json} (the spec, its run id and the shard manifest's SHA-256),
 * {@code checkpoints/ckpt-*.safetensors}, {@code result.json} (status, metrics, pruning steps),
 * {@code prune_events.avro} and {@code prune-events/} (see {@link PruneEventFiles}), {@code
 * rewind/} (lth's rewind point), {@code metrics.json} (every metric record so far, rewritten
 * atomically after each evaluation, so that a report on a run in progress sees its last one).
 */
public final class TrainingRun {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A run's metric records so far, in its folder. */
  public static final String METRICS_SO_FAR = "metrics.json";

  /** How a run ended. */
  public enum Status {
    FINISHED,
    DIVERGED,
    /**
     * Stopped early by a {@link RunGate} at {@link Result#stoppedAtStep}; its checkpoint is kept.
     */
    STOPPED
  }

  /**
   * @param runId the spec's identity
   * @param status finished, or diverged at {@code divergedAtStep}
   * @param resumedFromStep the checkpoint step this invocation started from (0 for a fresh run)
   * @param metrics every metric record of the run, resumed part included
   * @param divergedAtStep the step whose loss was not finite, or -1
   * @param pruneSteps the steps of the run's pruning events (resumed part included)
   * @param stoppedAtStep the step a {@link RunGate} stopped the run at, or -1 (0 in results written
   *     before runs could stop)
   */
  public record Result(
      String runId,
      Status status,
      long resumedFromStep,
      List<MetricRecord> metrics,
      long divergedAtStep,
      List<Long> pruneSteps,
      long stoppedAtStep) {
    public Optional<MetricRecord> last() {
      return metrics.isEmpty() ? Optional.empty() : Optional.of(metrics.get(metrics.size() - 1));
    }

    /**
     * Time in training steps over the whole run, from its records: each interval's mean step time
     * times its steps (evaluations, checkpoints and pruning events left out; resumed parts
     * included).
     */
    public double stepSeconds() {
      return stepSeconds(metrics);
    }

    /** {@link #stepSeconds()} of {@code metrics}, the records of a run so far. */
    public static double stepSeconds(List<MetricRecord> metrics) {
      double seconds = 0;
      long previous = 0;
      for (MetricRecord r : metrics) {
        seconds += r.stepMillis() * (r.step() - previous) / 1e3;
        previous = r.step();
      }
      return seconds;
    }
  }

  private TrainingRun() {}

  /**
   * Runs (or resumes) {@code spec} in {@code out} on {@code device}, passing every metric record to
   * {@code listener}.
   */
  public static Result run(RunSpec spec, Path out, Device device, TrainingListener listener) {
    return run(spec, out, device, listener, RunGate.NONE);
  }

  /**
   * Runs (or resumes) {@code spec} as {@link #run(RunSpec, Path, Device, TrainingListener)} does,
   * asking {@code gate} at each checkpointed step below the last whether to stop there; a stopped
   * run ends {@link Status#STOPPED}, its checkpoint at that step kept. A run resumed at such a step
   * asks again (a gate that recorded its answer gives the same one).
   */
  public static Result run(
      RunSpec spec, Path out, Device device, TrainingListener listener, RunGate gate) {
    ShardSet shards = ShardSet.open(spec.data());
    String dataSha256 = manifestSha256(shards);
    String runJson = runJson(spec, dataSha256);
    CheckpointStore store =
        new CheckpointStore(
            out.resolve("checkpoints"),
            RetentionPolicy.keepLast(spec.keepLast()).keepingEvery(spec.keepEvery()));
    Optional<Checkpoint> latest = store.latestValid();
    latest.ifPresent(c -> requireSameRun(c, spec, dataSha256, out));
    List<MetricRecord> metrics = new ArrayList<>();
    // The trainer opens and verifies the splits first, so a bad spec or bad shards write nothing.
    try (Trainer trainer = Trainers.create(spec, shards, device)) {
      Pruner pruner =
          spec.pruning().prunes()
              ? new Pruner(
                  spec.pruning(),
                  spec.runId(),
                  out,
                  store,
                  (pruning, prunerState) ->
                      TrainerCheckpoints.capture(
                          trainer, runJson, metricsJson(metrics), pruning, prunerState))
              : null;
      if (pruner != null) {
        try {
          pruner.check(trainer);
          trainer.setLearningRateClock(pruner.learningRateClock(trainer));
        } catch (IllegalArgumentException e) {
          throw new BadInputException("run " + spec.runId() + ": " + e.getMessage());
        }
      }
      AtomicFiles.writeString(out.resolve("run.json"), runJson);
      store.deleteTemporaryFiles();
      long resumedFrom = 0;
      if (latest.isPresent()) {
        TrainerCheckpoints.restore(trainer, latest.get());
        if (pruner != null) {
          pruner.restore(latest.get());
        }
        metrics.addAll(readMetrics(latest.get()));
        metrics.forEach(listener::onMetrics);
        writeMetricsSoFar(out, metrics);
        resumedFrom = trainer.step();
        LOG.info("run {} resumes from step {}", spec.runId(), resumedFrom);
      }
      TrainingListener recording =
          new TrainingListener() {
            @Override
            public void onMetrics(MetricRecord record) {
              metrics.add(record);
              writeMetricsSoFar(out, metrics);
              listener.onMetrics(record);
            }

            @Override
            public void onStep(long step, double loss) {
              listener.onStep(step, loss);
            }
          };
      long steps = spec.training().steps();
      List<Long> pruneSteps = new ArrayList<>();
      if (pruner != null) {
        // Resumed from the checkpoint just before an event, that event is redone below.
        long done = pruner.due(trainer) ? trainer.step() - 1 : trainer.step();
        PruneEventFiles.combine(out, done).forEach(e -> pruneSteps.add(e.getStep()));
      }
      try {
        while (true) {
          if (pruner != null) {
            pruner.saveRewindPointIfDue(trainer);
            if (pruner.due(trainer)) {
              PruneEvent event = pruner.prune(trainer);
              PruneEventFiles.record(out, event);
              pruneSteps.add(event.getStep());
              listener.onPrune(event);
            }
          }
          if (trainer.step() >= steps) {
            break;
          }
          if (trainer.step() > 0
              && trainer.step() % spec.checkpointEvery() == 0
              && gate.stopsAt(trainer.step(), trainer, List.copyOf(metrics))) {
            LOG.info("run {} stops early at step {}", spec.runId(), trainer.step());
            Result result =
                new Result(
                    spec.runId(),
                    Status.STOPPED,
                    resumedFrom,
                    List.copyOf(metrics),
                    -1,
                    List.copyOf(pruneSteps),
                    trainer.step());
            writeResult(out, result);
            return result;
          }
          long boundary =
              Math.min(
                  steps, (trainer.step() / spec.checkpointEvery() + 1) * spec.checkpointEvery());
          long next = pruner == null ? boundary : pruner.nextStop(trainer, boundary);
          trainer.train(next, recording);
          // An event due here writes its own checkpoints (the one after the event is what a resume
          // continues from).
          if (next == boundary && (pruner == null || !pruner.due(trainer))) {
            store.save(
                pruner != null
                    ? pruner.checkpoint(false)
                    : TrainerCheckpoints.capture(trainer, runJson, metricsJson(metrics), false));
          }
        }
      } catch (DivergedException e) {
        Result result =
            new Result(
                spec.runId(),
                Status.DIVERGED,
                resumedFrom,
                List.copyOf(metrics),
                e.step(),
                List.copyOf(pruneSteps),
                -1);
        writeResult(out, result);
        return result;
      }
      Result result =
          new Result(
              spec.runId(),
              Status.FINISHED,
              resumedFrom,
              List.copyOf(metrics),
              -1,
              List.copyOf(pruneSteps),
              -1);
      writeResult(out, result);
      return result;
    }
  }

  /** SHA-256 of the shard set's manifest, which itself holds every shard's SHA-256. */
  static String manifestSha256(ShardSet shards) {
    try {
      byte[] manifest = Files.readAllBytes(shards.folder().resolve("manifest.json"));
      return HexFormat.of().formatHex(Digests.sha256().digest(manifest));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + shards.folder().resolve("manifest.json"), e);
    }
  }

  private static String runJson(RunSpec spec, String dataSha256) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("run_id", spec.runId());
    fields.put("spec", readTree(spec.canonicalJson()));
    fields.put("data", spec.data().toString());
    fields.put("checkpoint_every", spec.checkpointEvery());
    fields.put("keep_last", spec.keepLast());
    fields.put("keep_every", spec.keepEvery());
    fields.put("data_manifest_sha256", dataSha256);
    fields.put(
        "polyak_version", PolyakVersion.version() + " (git " + PolyakVersion.revision() + ")");
    return write(fields);
  }

  static void requireSameRun(Checkpoint checkpoint, RunSpec spec, String dataSha256, Path out) {
    Map<String, Object> saved = readMap(checkpoint.runSpecJson());
    if (!spec.runId().equals(saved.get("run_id"))) {
      throw new BadInputException(
          out
              + " holds run "
              + saved.get("run_id")
              + " ("
              + saved.get("spec")
              + "), not run "
              + spec.runId()
              + "; use another output folder");
    }
    if (!dataSha256.equals(saved.get("data_manifest_sha256"))) {
      throw new BadInputException(
          out
              + ": run "
              + spec.runId()
              + " was trained on shards whose manifest has SHA-256 "
              + saved.get("data_manifest_sha256")
              + ", but "
              + spec.data()
              + " has "
              + dataSha256
              + "; the shards changed, so the run cannot resume on them");
    }
  }

  private static List<MetricRecord> readMetrics(Checkpoint checkpoint) {
    try {
      return JSON.readValue(checkpoint.metricsJson(), new TypeReference<List<MetricRecord>>() {});
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          "checkpoint at step "
              + checkpoint.step()
              + " has unreadable metrics: "
              + e.getOriginalMessage());
    }
  }

  private static String metricsJson(List<MetricRecord> metrics) {
    return write(metrics);
  }

  /** {@code <out>/metrics.json}: the metric records so far, written atomically. */
  private static void writeMetricsSoFar(Path out, List<MetricRecord> metrics) {
    AtomicFiles.writeString(out.resolve(METRICS_SO_FAR), metricsJson(metrics));
  }

  /**
   * The metric records a run in {@code out} has written so far ({@code metrics.json}), empty when
   * it has none yet; reads only.
   *
   * @throws BadInputException naming the file if it is not a list of metric records
   */
  public static List<MetricRecord> readMetricsSoFar(Path out) {
    Path file = out.resolve(METRICS_SO_FAR);
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      return JSON.readValue(file.toFile(), new TypeReference<List<MetricRecord>>() {});
    } catch (IOException e) {
      throw new BadInputException(file + ": unreadable metric records (" + e.getMessage() + ")");
    }
  }

  /**
   * The result a run wrote into {@code out}.
   *
   * @throws BadInputException naming the file if it is missing or not a result
   */
  public static Result readResult(Path out) {
    Path file = out.resolve("result.json");
    try {
      return JSON.readValue(file.toFile(), Result.class);
    } catch (IOException e) {
      throw new BadInputException(file + ": no readable run result (" + e.getMessage() + ")");
    }
  }

  private static void writeResult(Path out, Result result) {
    AtomicFiles.writeString(out.resolve("result.json"), write(result));
  }

  private static Object readTree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Object> readMap(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          "a checkpoint's run description is not JSON: " + e.getOriginalMessage());
    }
  }

  static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
