package dev.polyak.pipelines;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import dev.polyak.sweep.Cell;
import dev.polyak.transforms.PolyakCoders;
import dev.polyak.transforms.sweep.DiagnoseOnce;
import dev.polyak.transforms.sweep.KeepOnePerKey;
import dev.polyak.transforms.sweep.TrainRunFn;
import dev.polyak.transforms.sweep.TrainRuns;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * The sweep job: cells → {@code TrainRun} (one long training per element, handed to the slots one
 * at a time; the element then diagnoses its run's checkpoints into their cache, so that a slot
 * diagnoses one run while the others train) → {@code Diagnose} (the plan's checkpoints: read from
 * the cache, computed only where an element could not) → exactly one record per key → Avro files
 * under {@code <out>/report/} (early stopping's decisions in {@code early_stopping.avro}). Its
 * caller then writes {@code summary.avro} and {@code report.html} from those files alone ({@code
 * service.Reports}, as {@code polyak report} does). Before it starts, the job writes its cells to
 * {@code <out>/cells.avro}, so that a partial report can find every run while the job runs.
 *
 * <p>Exactly once: a training element retried after it emitted records (a failed bundle, a lost
 * task manager, a sweep started again) emits them again, read back from its run folder; each report
 * keeps one record per run (runs.avro), per (run, step) (metrics.avro, prune_events.avro) and per
 * (run, checkpoint, structure) (diagnostics.avro).
 */
public final class SweepPipeline {
  public static final String REPORT = "report";

  /** {@code <out>/cells.avro}: the job's {@link RunTask}s, written (atomically) as it starts. */
  public static final String CELLS = "cells.avro";

  private SweepPipeline() {}

  /**
   * @param tasks the sweep's cells
   * @param out the sweep folder: {@code runs/<run_id>/} and {@code report/}
   * @param settings policy, diagnostics plan, device, threads, test hook
   */
  public record SweepJob(List<RunTask> tasks, Path out, TrainRunFn.Settings settings) {}

  /** The finished job and the folder of its report's Avro files. */
  public record Outcome(PipelineResult result, Path reportFolder) {}

  public static Outcome run(SweepJob job, PipelineOptions options) {
    Path report = job.out().resolve(REPORT);
    AvroFiles.write(job.out().resolve(CELLS), RunTask.class, job.tasks());
    Pipeline pipeline = Pipeline.create(options);
    PolyakCoders.registerAll(pipeline);
    PCollectionTuple trained =
        pipeline.apply("TrainRuns", new TrainRuns(job.tasks(), job.settings()));
    write(
        trained
            .get(TrainRunFn.RUNS)
            .apply("OneRecordPerRun", KeepOnePerKey.by(RunRecord::getRunId)),
        RunRecord.class,
        report,
        "runs");
    write(
        trained
            .get(TrainRunFn.METRICS)
            .apply(
                "OneRowPerRunAndStep",
                KeepOnePerKey.by((MetricRow m) -> m.getRunId() + "/" + m.getStep())),
        MetricRow.class,
        report,
        "metrics");
    write(
        trained
            .get(TrainRunFn.EVENTS)
            .apply(
                "OneEventPerRunAndStep",
                KeepOnePerKey.by((PruneEvent e) -> e.getRunId() + "/" + e.getStep())),
        PruneEvent.class,
        report,
        "prune_events");
    write(
        trained
            .get(TrainRunFn.DECISIONS)
            .apply(
                "OneDecisionPerRunAndRung",
                KeepOnePerKey.by((RungDecision d) -> d.getRunId() + "/" + d.getRung())),
        RungDecision.class,
        report,
        "early_stopping");
    DiagnosticsOptions diagnostics = job.settings().diagnostics().toOptions();
    write(
        trained
            .get(TrainRunFn.CHECKPOINTS)
            .apply("OneRequestPerCheckpoint", KeepOnePerKey.by((String c) -> c))
            .apply("Diagnose", new DiagnoseOnce(diagnostics, job.out().resolve("runs")))
            .apply(
                "OneRowPerStructure",
                KeepOnePerKey.by(
                    (DiagnosticRecord d) ->
                        d.getRunId() + "/" + d.getCheckpoint() + "/" + d.getStructureId())),
        DiagnosticRecord.class,
        report,
        "diagnostics");
    PipelineResult result;
    try {
      result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the sweep job ended in state " + state);
      }
    } catch (RuntimeException e) {
      throw JobFailures.badInput(e).<RuntimeException>map(bad -> bad).orElse(e);
    }
    return new Outcome(result, report);
  }

  /** The Beam elements of {@code cells}, each with its folder {@code <out>/runs/<run_id>}. */
  public static List<RunTask> tasks(List<Cell> cells, Path out) {
    List<RunTask> tasks = new java.util.ArrayList<>(cells.size());
    for (Cell c : cells) {
      tasks.add(
          RunTask.newBuilder()
              .setRunId(c.runId())
              .setConfig(c.config())
              .setBaseline(c.baseline())
              .setLabels(new java.util.LinkedHashMap<>(c.labels()))
              .setSeed(c.seed())
              .setModel(c.model())
              .setMethod(c.labels().getOrDefault("method", c.method()))
              .setRatio(c.ratio())
              .setRunYaml(c.runYaml())
              .setRunFolder(out.resolve("runs").resolve(c.runId()).toString())
              .build());
    }
    return tasks;
  }

  private static <T> void write(PCollection<T> records, Class<T> type, Path folder, String name) {
    records
        .setCoder(AvroCoder.of(type))
        .apply(
            "Write " + name + ".avro",
            AvroIO.write(type)
                .to(folder.resolve(name).toString())
                .withSuffix(".avro")
                .withoutSharding());
  }
}
