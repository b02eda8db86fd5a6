package dev.polyak.transforms;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.diag.DiagnosticRecords;
import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Structure;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.DiagnosticTask;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.Trainer;
import dev.polyak.train.TrainerCheckpoints;
import dev.polyak.train.TrainerDiagnostics;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Conditioning diagnostics of saved model states, as a Beam stage: checkpoint files in, {@link
 * DiagnosticRecord}s out — one per (checkpoint, structure of the requested kinds) and, with the
 * whole model, one MODEL row per checkpoint.
 *
 * <p>Each checkpoint fans out into one task per layer (the kernels and spectra of that layer's
 * structures: the per-sample gradient passes are the expensive part) and one model task (the rest's
 * kernel, the Hutchinson traces of every structure and the gradient statistics); the tasks are
 * redistributed so that a large model's layers spread over all workers, and the parts meet again,
 * grouped by checkpoint, in {@link Diagnostics#assemble}. The rows are therefore exactly those of
 * {@link Diagnostics#run} on the same checkpoint: the whole-model kernel is K_rest + Σ_i K_i summed
 * in structure order wherever it is assembled. A worker restores a checkpoint once and keeps it
 * open for the next tasks of the same checkpoint (at most {@value ComputeFn#OPEN_CHECKPOINTS} per
 * DoFn instance).
 */
public final class Diagnose extends PTransform<PCollection<String>, PCollection<DiagnosticRecord>> {
  /**
   * What one task of {@link Diagnose} computed for one checkpoint: the kernels of one layer's
   * structures, or the model part together with what assembly needs to know about the run.
   *
   * @param layout set by the model task only
   */
  record DiagnosticPart(
      String runId,
      long step,
      long seed,
      int[] probes,
      Diagnostics.@Nullable Layout layout,
      Diagnostics.@Nullable StructurePart structures,
      Diagnostics.@Nullable ModelPart model)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final DiagnosticsOptions options;
  private final @Nullable String data;

  private Diagnose(DiagnosticsOptions options, @Nullable String data) {
    this.options = options;
    this.data = data;
  }

  /**
   * Diagnoses with {@code options}: probe set, kernel, kinds, whole model, Hutchinson probes,
   * floor, budget.
   */
  public static Diagnose of(DiagnosticsOptions options) {
    return new Diagnose(options, null);
  }

  /** Reads the probe samples from {@code shards} instead of the path each checkpoint recorded. */
  public Diagnose withData(Path shards) {
    return new Diagnose(options, shards.toString());
  }

  @Override
  public PCollection<DiagnosticRecord> expand(PCollection<String> checkpoints) {
    return checkpoints
        .apply("PlanTasks", ParDo.of(new PlanTasksFn()))
        .setCoder(AvroCoder.of(DiagnosticTask.class))
        .apply("SpreadTasks", Reshuffle.viaRandomKey())
        .apply("ComputeParts", ParDo.of(new ComputeFn(options, data)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(DiagnosticPart.class)))
        .apply("GroupByCheckpoint", GroupByKey.create())
        .apply("Assemble", ParDo.of(new AssembleFn(options)))
        .setCoder(AvroCoder.of(DiagnosticRecord.class));
  }

  private static RestoredRun restore(String checkpoint, @Nullable String data) {
    return RestoredRun.open(Path.of(checkpoint), data == null ? null : Path.of(data), Device.cpu());
  }

  /**
   * Whether structure {@code s} of a model needs its kernel: reported, or summed into the whole
   * model.
   */
  private static boolean needed(DiagnosticsOptions options, Structure s) {
    return options.wholeModel() || options.kinds().contains(s.kind());
  }

  /**
   * One task per mask group of the checkpoint and the model task (layer null). The groups come from
   * the checkpoint's structure masks (one per layer; weight-level masks are not groups), read
   * without restoring the run: restoring opens and verifies the whole shard set, which each worker
   * does anyway. A group whose structures are not needed (another kind, without the whole model)
   * yields an empty part.
   */
  static final class PlanTasksFn extends DoFn<String, DiagnosticTask> {
    @ProcessElement
    public void process(@Element String checkpoint, OutputReceiver<DiagnosticTask> out) {
      int tasks = tasks(CheckpointStore.locate(Path.of(checkpoint)).checkpoint());
      for (int layer = 0; layer < tasks - 1; layer++) {
        out.output(new DiagnosticTask(checkpoint, layer));
      }
      out.output(new DiagnosticTask(checkpoint, null));
      SweepProgress.diagnosticsPlanned(tasks);
    }
  }

  /**
   * The tasks this stage makes of {@code checkpoint}: one per mask group (a layer's structure mask)
   * and the model task; what the progress display counts per checkpoint.
   */
  public static int tasks(Checkpoint checkpoint) {
    return 1
        + (int)
            checkpoint.masks().keySet().stream()
                .filter(TrainerCheckpoints::isStructureMask)
                .count();
  }

  /** Computes one task's part on its checkpoint, restored once per DoFn instance. */
  static final class ComputeFn extends DoFn<DiagnosticTask, KV<String, DiagnosticPart>> {
    static final int OPEN_CHECKPOINTS = 2;
    private final Counter restored = Metrics.counter(ComputeFn.class, "checkpointsRestored");
    private final Counter layerTasks = Metrics.counter(ComputeFn.class, "layerTasks");
    private final Counter modelTasks = Metrics.counter(ComputeFn.class, "modelTasks");
    private final DiagnosticsOptions options;
    private final @Nullable String data;
    private transient LinkedHashMap<String, RestoredRun> open;

    ComputeFn(DiagnosticsOptions options, @Nullable String data) {
      this.options = options;
      this.data = data;
    }

    @Setup
    public void setup() {
      open = new LinkedHashMap<>(4, 0.75f, true);
    }

    @ProcessElement
    public void process(
        @Element DiagnosticTask task, OutputReceiver<KV<String, DiagnosticPart>> out) {
      RestoredRun run = restored(task.getCheckpoint());
      Trainer trainer = run.trainer();
      int[] probes = TrainerDiagnostics.probes(trainer, options);
      ProbeObjective objective = trainer.probes(probes, options.kernel());
      long seed = trainer.config().seed();
      Integer layer = task.getLayer();
      DiagnosticPart part;
      if (layer == null) {
        part =
            new DiagnosticPart(
                run.runId(),
                trainer.step(),
                seed,
                probes,
                Diagnostics.Layout.of(trainer.model()),
                null,
                Diagnostics.model(objective, options, seed));
        modelTasks.inc();
        SweepProgress.diagnosticDone();
      } else {
        List<Structure> structures = trainer.model().structures();
        part =
            new DiagnosticPart(
                run.runId(),
                trainer.step(),
                seed,
                probes,
                null,
                Diagnostics.structures(
                    objective,
                    options,
                    s -> structures.get(s).layer() == layer && needed(options, structures.get(s))),
                null);
        layerTasks.inc();
        SweepProgress.diagnosticDone();
      }
      out.output(KV.of(task.getCheckpoint().toString(), part));
    }

    private RestoredRun restored(String checkpoint) {
      RestoredRun run = open.get(checkpoint);
      if (run == null) {
        run = restore(checkpoint, data);
        restored.inc();
        open.put(checkpoint, run);
        Iterator<Map.Entry<String, RestoredRun>> eldest = open.entrySet().iterator();
        while (open.size() > OPEN_CHECKPOINTS) {
          eldest.next().getValue().close();
          eldest.remove();
        }
      }
      return run;
    }

    @Teardown
    public void teardown() {
      if (open != null) {
        open.values().forEach(RestoredRun::close);
        open.clear();
      }
    }
  }

  /** Puts a checkpoint's parts together into its rows. */
  static final class AssembleFn
      extends DoFn<KV<String, Iterable<DiagnosticPart>>, DiagnosticRecord> {
    private final Counter written = Metrics.counter(AssembleFn.class, "recordsWritten");
    private final DiagnosticsOptions options;

    AssembleFn(DiagnosticsOptions options) {
      this.options = options;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<DiagnosticPart>> parts, OutputReceiver<DiagnosticRecord> out) {
      DiagnosticPart model = null;
      List<Diagnostics.StructurePart> structures = new ArrayList<>();
      for (DiagnosticPart part : parts.getValue()) {
        if (part.model() != null) {
          model = part;
        } else {
          structures.add(part.structures());
        }
      }
      if (model == null) {
        throw new IllegalStateException(parts.getKey() + ": the model task's part is missing");
      }
      DiagnosticsReport report =
          Diagnostics.assemble(
              model.layout(),
              model.probes(),
              model.step(),
              model.seed(),
              options,
              structures,
              model.model());
      for (DiagnosticRecord row :
          DiagnosticRecords.of(
              model.runId(), Path.of(parts.getKey()).getFileName().toString(), report)) {
        out.output(row);
        written.inc();
      }
    }
  }
}
