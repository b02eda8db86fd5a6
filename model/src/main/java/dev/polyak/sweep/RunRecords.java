package dev.polyak.sweep;

import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.ModelFamily;
import dev.polyak.train.PruneEventFiles;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A run's report records, made from what its folder holds: the result, the pruning events, the
 * sweep's state.
 */
public final class RunRecords {
  private RunRecords() {}

  /**
   * One {@link MetricRow} per metric record. {@code elapsed_seconds} adds up the training-step time
   * (mean step time × steps of each interval) and the wall time of the pruning events before each
   * record's step (an event at step s happens after the evaluation at s).
   */
  public static List<MetricRow> metrics(
      RunTask task, List<MetricRecord> records, List<PruneEvent> events) {
    List<MetricRow> rows = new ArrayList<>(records.size());
    double stepSeconds = 0;
    long previous = 0;
    for (MetricRecord r : records) {
      stepSeconds += r.stepMillis() * (r.step() - previous) / 1e3;
      previous = r.step();
      double pruning = 0;
      for (PruneEvent e : events) {
        if (e.getStep() < r.step()) {
          pruning += e.getWallSeconds();
        }
      }
      rows.add(
          MetricRow.newBuilder()
              .setRunId(task.getRunId())
              .setConfig(task.getConfig())
              .setSeed(task.getSeed())
              .setStep(r.step())
              .setTrainLoss(r.trainLoss())
              .setEvalLoss(r.evalLoss())
              .setEvalMetric(r.evalMetric())
              .setLearningRate(r.learningRate())
              .setStepMillis(r.stepMillis())
              .setKeptParameters(r.keptParameters())
              .setElapsedSeconds(stepSeconds + pruning)
              .build());
    }
    return rows;
  }

  /**
   * A run's report records as its folder holds them, reading only (no lock, no write): what the
   * sweep job emits for a run, and what a partial report shows while the job runs or after it was
   * killed.
   *
   * @param run the run's record; empty for a run with no outcome unless a partial one was asked for
   * @param metrics one row per evaluation so far
   * @param events its pruning events up to its last evaluation
   * @param result {@code result.json}, when the run ended FINISHED or DIVERGED
   */
  public record Snapshot(
      Optional<RunRecord> run,
      List<MetricRow> metrics,
      List<PruneEvent> events,
      Optional<TrainingRun.Result> result) {}

  /**
   * The records of {@code task}'s run in {@code folder}: FINISHED or DIVERGED from {@code
   * result.json}, else FAILED from {@code failure.json}, else (with {@code partial}) PARTIAL from
   * {@code metrics.json}, the evaluations so far; without {@code partial} such a run has none.
   */
  public static Snapshot read(RunTask task, RunSpec spec, RunFolder folder, boolean partial) {
    Optional<TrainingRun.Result> ended = folder.result();
    if (ended.isPresent()) {
      TrainingRun.Result result = ended.get();
      List<PruneEvent> events = PruneEventFiles.read(folder.path(), Long.MAX_VALUE);
      return new Snapshot(
          Optional.of(ended(task, spec, result, events, folder.state())),
          metrics(task, result.metrics(), events),
          events,
          ended);
    }
    Optional<RunFolder.Failure> failure = folder.failure();
    if (failure.isPresent() || !partial) {
      return new Snapshot(
          failure.map(f -> failed(task, spec, f.error(), folder.state())),
          List.of(),
          List.of(),
          Optional.empty());
    }
    List<MetricRecord> soFar = TrainingRun.readMetricsSoFar(folder.path());
    long lastStep = soFar.isEmpty() ? -1 : soFar.get(soFar.size() - 1).step();
    List<PruneEvent> events = PruneEventFiles.read(folder.path(), lastStep);
    RunRecord.Builder record = common(task, spec, folder.state()).setStatus(RunStatus.PARTIAL);
    lastFigures(record, spec, soFar, events);
    return new Snapshot(
        Optional.of(record.build()), metrics(task, soFar, events), events, Optional.empty());
  }

  /** The record of a run that ended FINISHED, DIVERGED or STOPPED. */
  public static RunRecord ended(
      RunTask task,
      RunSpec spec,
      TrainingRun.Result result,
      List<PruneEvent> events,
      RunFolder.State state) {
    RunRecord.Builder record = common(task, spec, state);
    record
        .setStatus(
            switch (result.status()) {
              case FINISHED -> RunStatus.FINISHED;
              case DIVERGED -> RunStatus.DIVERGED;
              case STOPPED -> RunStatus.STOPPED;
            })
        .setStoppedAtRung(
            result.status() == TrainingRun.Status.STOPPED ? result.stoppedAtStep() : null)
        .setDivergedAtStep(
            result.status() == TrainingRun.Status.DIVERGED ? result.divergedAtStep() : null);
    lastFigures(record, spec, result.metrics(), events);
    return record.setPruneSteps(List.copyOf(result.pruneSteps())).build();
  }

  /** Timings, pruning steps and final figures from {@code records} (figures of the last one). */
  private static void lastFigures(
      RunRecord.Builder record, RunSpec spec, List<MetricRecord> records, List<PruneEvent> events) {
    record
        .setTrainSeconds(TrainingRun.Result.stepSeconds(records))
        .setPruningSeconds(events.stream().mapToDouble(PruneEvent::getWallSeconds).sum())
        .setPruneSteps(events.stream().map(PruneEvent::getStep).toList());
    if (!records.isEmpty()) {
      MetricRecord last = records.get(records.size() - 1);
      record
          .setLastGoodStep(last.step())
          .setFinalTrainLoss(last.trainLoss())
          .setFinalEvalLoss(last.evalLoss())
          .setFinalEvalMetric(last.evalMetric())
          .setFinalTrainMetric(
              spec.family().transformer() ? Math.exp(last.trainLoss()) : last.trainLoss())
          .setKeptParameters(last.keptParameters());
    }
  }

  /** The report row of one early-stopping decision on {@code task}'s run. */
  public static RungDecision decision(RunTask task, RungLog.Decision d) {
    return RungDecision.newBuilder()
        .setRunId(d.runId())
        .setConfig(task.getConfig())
        .setSeed(task.getSeed())
        .setRung(d.rung())
        .setSignal(d.signal())
        .setValue(d.value())
        .setContinues(d.continues())
        .setRank(d.rank())
        .setCompared(d.compared())
        .setKept(d.kept())
        .setReduction(d.reduction())
        .setSeenRunIds(d.seen().stream().map(Asha.Entry::runId).toList())
        .setDecidedAtMillis(d.decidedAtMillis())
        .build();
  }

  /** The record of a run whose last attempt failed with {@code error}. */
  public static RunRecord failed(RunTask task, RunSpec spec, String error, RunFolder.State state) {
    return common(task, spec, state).setStatus(RunStatus.FAILED).setError(error).build();
  }

  private static RunRecord.Builder common(RunTask task, RunSpec spec, RunFolder.State state) {
    return RunRecord.newBuilder()
        .setRunId(task.getRunId())
        .setConfig(task.getConfig())
        .setBaseline(task.getBaseline())
        .setLabels(task.getLabels())
        .setModel(task.getModel())
        .setMethod(task.getMethod())
        .setRatio(task.getRatio())
        .setSeed(task.getSeed())
        .setSpecJson(spec.canonicalJson())
        .setStatus(RunStatus.FAILED)
        .setError(null)
        .setDivergedAtStep(null)
        .setLastGoodStep(0)
        .setSteps(spec.training().steps())
        .setResumedFromStep(state.resumedFromStep())
        .setAttempts(state.attempts())
        .setWorker(state.worker())
        .setDevice(state.device())
        .setWallSeconds(state.wallSeconds())
        .setTrainSeconds(0)
        .setPruningSeconds(0)
        .setMetricName(metricName(spec.family()))
        .setPruneSteps(List.of())
        .setStoppedAtRung(null);
  }

  public static String metricName(ModelFamily family) {
    return family.transformer() ? "perplexity" : "accuracy";
  }
}
