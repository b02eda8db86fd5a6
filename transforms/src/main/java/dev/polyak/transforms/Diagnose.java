package dev.polyak.transforms;

import ai.djl.Device;
import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.nn.Structure;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.DiagnosticTask;
import dev.polyak.train.RestoredRun;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Conditioning diagnostics of saved model states, as a Beam stage: checkpoint files in, {@link
 * DiagnosticRecord}s out — one per (checkpoint, structure of the requested kinds) and one whole-model
 * row per checkpoint.
 *
 * <p>Each checkpoint fans out into one task per layer holding structures of the requested kinds and
 * one whole-model task; the tasks are redistributed so that a large model's layers spread over all
 * workers. A worker restores a checkpoint once and keeps it open for the next tasks of the same
 * checkpoint (at most {@value DiagnoseTaskFn#OPEN_CHECKPOINTS} per DoFn instance).
 *
 * <p>Every row holds exactly what {@link Diagnostics#run} gives for the checkpoint with the same
 * options, because each task runs it on the restored trainer: a layer task with the requested kinds
 * and without the whole-model kernel, keeping its layer's rows; the whole-model task with the whole
 * model, keeping the MODEL row. {@code DiagnosticsOptions} selects structures by kind only, so a
 * layer task still computes the kernels of every structure of those kinds and, with Hutchinson probes,
 * the whole Hessian trace: correct, but each layer task costs about a whole diagnostic.
 */
public final class Diagnose extends PTransform<PCollection<String>, PCollection<DiagnosticRecord>> {
  private final DiagnoseSettings settings;
  private final @Nullable String data;

  private Diagnose(DiagnoseSettings settings, @Nullable String data) {
    this.settings = settings;
    this.data = data;
  }

  /** Diagnoses with {@code options}' probe set, output, kinds, Hutchinson probes, floor and budget. */
  public static Diagnose of(DiagnosticsOptions options) {
    return new Diagnose(DiagnoseSettings.of(options), null);
  }

  /** Reads the probe samples from {@code shards} instead of the path each checkpoint recorded. */
  public Diagnose withData(Path shards) {
    return new Diagnose(settings, shards.toString());
  }

  @Override
  public PCollection<DiagnosticRecord> expand(PCollection<String> checkpoints) {
    return checkpoints
        .apply("PlanTasks", ParDo.of(new PlanTasksFn(settings, data)))
        .setCoder(AvroCoder.of(DiagnosticTask.class))
        .apply("SpreadTasks", Reshuffle.viaRandomKey())
        .apply("DiagnoseTasks", ParDo.of(new DiagnoseTaskFn(settings, data)))
        .setCoder(AvroCoder.of(DiagnosticRecord.class));
  }

  private static RestoredRun restore(String checkpoint, @Nullable String data) {
    return RestoredRun.open(Path.of(checkpoint), data == null ? null : Path.of(data), Device.cpu());
  }

  /** One task per layer with structures of the requested kinds, and the whole-model task. */
  static final class PlanTasksFn extends DoFn<String, DiagnosticTask> {
    private final DiagnoseSettings settings;
    private final @Nullable String data;

    PlanTasksFn(DiagnoseSettings settings, @Nullable String data) {
      this.settings = settings;
      this.data = data;
    }

    @ProcessElement
    public void process(@Element String checkpoint, OutputReceiver<DiagnosticTask> out) {
      TreeSet<Integer> layers = new TreeSet<>();
      try (RestoredRun run = restore(checkpoint, data)) {
        for (Structure s : run.trainer().model().structures()) {
          if (settings.kinds().contains(s.kind())) {
            layers.add(s.layer());
          }
        }
      }
      for (int layer : layers) {
        out.output(new DiagnosticTask(checkpoint, layer));
      }
      out.output(new DiagnosticTask(checkpoint, null));
    }
  }

  /** Runs one task on its checkpoint, restored once per DoFn instance. */
  static final class DiagnoseTaskFn extends DoFn<DiagnosticTask, DiagnosticRecord> {
    static final int OPEN_CHECKPOINTS = 2;
    private final Counter restored = Metrics.counter(DiagnoseTaskFn.class, "checkpointsRestored");
    private final Counter written = Metrics.counter(DiagnoseTaskFn.class, "recordsWritten");
    private final DiagnoseSettings settings;
    private final @Nullable String data;
    private transient LinkedHashMap<String, RestoredRun> open;

    DiagnoseTaskFn(DiagnoseSettings settings, @Nullable String data) {
      this.settings = settings;
      this.data = data;
    }

    @Setup
    public void setup() {
      open = new LinkedHashMap<>(4, 0.75f, true);
    }

    @ProcessElement
    public void process(@Element DiagnosticTask task, OutputReceiver<DiagnosticRecord> out) {
      RestoredRun run = restored(task.getCheckpoint());
      Integer layer = task.getLayer();
      DiagnosticsOptions options = settings.toOptions(settings.kinds(), layer == null);
      DiagnosticsReport report = Diagnostics.run(run.trainer(), options);
      if (layer == null) {
        out.output(DiagnosticRecords.model(run.runId(), report, run.trainer().model().parameters().count()));
        written.inc();
        return;
      }
      for (DiagnosticRecord row : DiagnosticRecords.structures(run.runId(), report)) {
        if (layer.equals(row.getLayer())) {
          out.output(row);
          written.inc();
        }
      }
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
}
