package dev.polyak.sweep;

import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.ModelFamily;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;

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
            result.status() == TrainingRun.Status.DIVERGED ? result.divergedAtStep() : null)
        .setTrainSeconds(result.stepSeconds())
        .setPruningSeconds(events.stream().mapToDouble(PruneEvent::getWallSeconds).sum())
        .setPruneSteps(List.copyOf(result.pruneSteps()));
    result
        .last()
        .ifPresent(
            last ->
                record
                    .setLastGoodStep(last.step())
                    .setFinalTrainLoss(last.trainLoss())
                    .setFinalEvalLoss(last.evalLoss())
                    .setFinalEvalMetric(last.evalMetric())
                    .setFinalTrainMetric(
                        spec.family().transformer() ? Math.exp(last.trainLoss()) : last.trainLoss())
                    .setKeptParameters(last.keptParameters()));
    return record.build();
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
