package dev.polyak.summary;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small hand-made sweep's report files: model "mlp" (perplexity), configs dense, pl-gate at 0.5
 * and random at 0.5 over seeds 0, 1, 2, plus a diverged pl-gate seed 3 and a failed random seed 4.
 * Evaluations at steps 0, 10, 20, 30, 40; pruning at step 10 (2 s of event time). The figures are
 * chosen so that every statistic of summary.avro can be worked out by hand (see SweepSummaryTest).
 */
public final class SweepFixture {
  public static final String MODEL = "mlp";
  public static final String BASELINE = "model=mlp";
  public static final String DENSE = "model=mlp method=dense";
  public static final String PL_GATE = "model=mlp method=pl-gate ratio=0.5";
  public static final String RANDOM = "model=mlp method=random ratio=0.5";
  public static final long[] STEPS = {0, 10, 20, 30, 40};
  public static final long PRUNE_STEP = 10;

  /** Eval perplexity per step, by config and seed (rows 0..2 = seeds 0..2). */
  public static final double[][] DENSE_EVAL = {
    {300, 200, 150, 120, 100}, {300, 200, 109, 115, 110}, {300, 200, 150, 125, 120}
  };

  public static final double[][] PL_GATE_EVAL = {
    {300, 180, 99, 97, 98}, {300, 190, 140, 112, 104}, {300, 190, 119.5, 118, 119}
  };
  public static final double[][] RANDOM_EVAL = {
    {300, 220, 160, 110, 105}, {300, 220, 150, 118, 118}, {300, 220, 160, 130, 125}
  };

  private final List<RunRecord> runs = new ArrayList<>();
  private final List<MetricRow> metrics = new ArrayList<>();
  private final List<PruneEvent> events = new ArrayList<>();
  private final List<DiagnosticRecord> diagnostics = new ArrayList<>();

  /** The standard sweep described in the class comment, with diagnostics and prune events. */
  public static SweepFixture standard() {
    SweepFixture f = new SweepFixture();
    for (int seed = 0; seed < 3; seed++) {
      f.finished(
          DENSE,
          "dense",
          0,
          seed,
          DENSE_EVAL[seed],
          new double[] {90, 100, 110}[seed],
          new double[] {4.6, 4.7, 4.8}[seed]);
      f.finished(
          PL_GATE,
          "pl-gate",
          0.5,
          seed,
          PL_GATE_EVAL[seed],
          new double[] {95, 99, 112}[seed],
          new double[] {4.58, 4.64, 4.78}[seed]);
      f.finished(
          RANDOM,
          "random",
          0.5,
          seed,
          RANDOM_EVAL[seed],
          new double[] {101, 115, 118}[seed],
          new double[] {4.65, 4.77, 4.83}[seed]);
    }
    f.add(
        run(PL_GATE, "pl-gate", 0.5, 3)
            .setStatus(RunStatus.DIVERGED)
            .setDivergedAtStep(30L)
            .setLastGoodStep(20)
            .setFinalEvalMetric(5000.0)
            .setFinalTrainMetric(5000.0)
            .setFinalEvalLoss(8.5)
            .setTrainSeconds(3)
            .setPruningSeconds(2)
            .setPruneSteps(List.of(PRUNE_STEP))
            .build(),
        new double[] {300, 900, 5000});
    f.add(
        run(RANDOM, "random", 0.5, 4)
            .setStatus(RunStatus.FAILED)
            .setError("java.lang.IllegalStateException: boom")
            .setLastGoodStep(10)
            .setTrainSeconds(1)
            .setPruningSeconds(100)
            .setPruneSteps(List.of(PRUNE_STEP))
            .build(),
        new double[] {300, 220});
    return f;
  }

  /** The run id of {@code config} and {@code seed}. */
  public static String runId(String config, long seed) {
    return config.replace("model=mlp method=", "").replace(" ratio=", "-") + "-seed" + seed;
  }

  private void finished(
      String config,
      String method,
      double ratio,
      int seed,
      double[] eval,
      double trainMetric,
      double evalLoss) {
    boolean prunes = !method.equals("dense");
    RunRecord r =
        run(config, method, ratio, seed)
            .setStatus(RunStatus.FINISHED)
            .setLastGoodStep(40)
            .setTrainSeconds(4)
            .setPruningSeconds(prunes ? 2 : 0)
            .setFinalEvalMetric(eval[eval.length - 1])
            .setFinalTrainMetric(trainMetric)
            .setFinalEvalLoss(evalLoss)
            .setFinalTrainLoss(Math.log(trainMetric))
            .setKeptParameters(prunes ? 500L : 1000L)
            .setPruneSteps(prunes ? List.of(PRUNE_STEP) : List.of())
            .build();
    add(r, eval);
    if (prunes) {
      events.add(event(r.getRunId(), method));
    }
    diagnose(r.getRunId(), seed, prunes);
  }

  /**
   * Adds a run and its metric rows (eval metric per step from {@code eval}; elapsed = step / 10 + 2
   * s after pruning).
   */
  public SweepFixture add(RunRecord run, double[] eval) {
    runs.add(run);
    boolean prunes = !run.getMethod().equals("dense");
    for (int i = 0; i < eval.length; i++) {
      long step = STEPS[i];
      metrics.add(
          MetricRow.newBuilder()
              .setRunId(run.getRunId())
              .setConfig(run.getConfig())
              .setSeed(run.getSeed())
              .setStep(step)
              .setTrainLoss(Math.log(eval[i]) + 0.1 * run.getSeed())
              .setEvalLoss(Math.log(eval[i]))
              .setEvalMetric(eval[i])
              .setLearningRate(0.1)
              .setStepMillis(10)
              .setKeptParameters(prunes && step >= PRUNE_STEP ? 500 : 1000)
              .setElapsedSeconds(step / 10.0 + (prunes && step >= PRUNE_STEP ? 2 : 0))
              .build());
    }
    return this;
  }

  /** A run of {@code config} with its spec fields filled; status and figures left to the caller. */
  public static RunRecord.Builder run(String config, String method, double ratio, long seed) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("model", MODEL);
    labels.put("method", method);
    if (!method.equals("dense")) {
      labels.put("ratio", Double.toString(ratio));
    }
    labels.put("seed", Long.toString(seed));
    return RunRecord.newBuilder()
        .setRunId(runId(config, seed))
        .setConfig(config)
        .setBaseline(BASELINE)
        .setLabels(labels)
        .setModel(MODEL)
        .setMethod(method)
        .setRatio(ratio)
        .setSeed(seed)
        .setSpecJson("{\"model\":\"mlp\",\"seed\":" + seed + "}")
        .setSteps(40)
        .setResumedFromStep(0)
        .setAttempts(1)
        .setWorker("host/1")
        .setDevice("cpu()")
        .setWallSeconds(10)
        .setMetricName("perplexity");
  }

  private static PruneEvent event(String runId, String method) {
    List<String> ids = new ArrayList<>();
    List<Boolean> before = new ArrayList<>();
    List<Boolean> after = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    for (int layer = 0; layer < 2; layer++) {
      for (int index = 0; index < 4; index++) {
        ids.add(structureId(layer, index));
        before.add(true);
        after.add(index < 2);
        scores.add(4.0 - index);
      }
    }
    return PruneEvent.newBuilder()
        .setRunId(runId)
        .setStep(PRUNE_STEP)
        .setEvent(0)
        .setMethod(method)
        .setMethodOptions(Map.of())
        .setScope(List.of("neuron"))
        .setStructureIds(ids)
        .setScores(scores)
        .setKeptBefore(before)
        .setKeptAfter(after)
        .setTargetKept(4)
        .setMinPerLayer(1)
        .setKeptParametersBefore(1000)
        .setKeptParametersAfter(500)
        .setFlopsBefore(2000)
        .setFlopsAfter(1000)
        .setScoringSamples(16)
        .setWallSeconds(2)
        .setScoringSeconds(1.5)
        .setCheckpointBefore("ckpt-0000000010-prune-before.safetensors")
        .setCheckpointAfter("ckpt-0000000010-prune.safetensors")
        .build();
  }

  public static String structureId(int layer, int index) {
    return "layer" + layer + "/neuron" + index;
  }

  /**
   * Diagnostics at steps 0, 10 (before the event; for pruning runs also after it, pruned neurons 2
   * and 3 of each layer singular) and 40: κ of neuron (l, i) = 10^(1 + i + l + step / 20 + seed /
   * 10), the MODEL row's κ = 10^(2 + step / 20) times (1 + seed), halved after pruning, and its PL
   * ratio 1 / (1 + step).
   */
  private void diagnose(String runId, long seed, boolean prunes) {
    for (long step : new long[] {0, PRUNE_STEP, 40}) {
      boolean pruned = prunes && step > PRUNE_STEP;
      structures(runId, seed, step, pruned);
      if (prunes && step == PRUNE_STEP) {
        structures(runId, seed, step, true); // the after-pruning checkpoint shares the event's step
      }
      double kappa = Math.pow(10, 2 + step / 20.0) * (1 + seed) / (pruned ? 2 : 1);
      DiagnosticRecord model =
          row(runId, seed, step, "model", null, null, DiagnosticKind.MODEL, true, kappa);
      model.setPlRatio(1.0 / (1 + step));
      diagnostics.add(model);
    }
  }

  private void structures(String runId, long seed, long step, boolean pruned) {
    for (int layer = 0; layer < 2; layer++) {
      for (int index = 0; index < 4; index++) {
        boolean kept = !pruned || index < 2;
        double kappa =
            kept
                ? Math.pow(10, 1 + index + layer + step / 20.0 + seed / 10.0)
                : Double.POSITIVE_INFINITY;
        diagnostics.add(
            row(
                runId,
                seed,
                step,
                structureId(layer, index),
                layer,
                index,
                DiagnosticKind.NEURON,
                kept,
                kappa));
      }
    }
  }

  private static DiagnosticRecord row(
      String runId,
      long seed,
      long step,
      String id,
      Integer layer,
      Integer index,
      DiagnosticKind kind,
      boolean kept,
      double kappa) {
    boolean singular = Double.isInfinite(kappa);
    return DiagnosticRecord.newBuilder()
        .setRunId(runId)
        .setStep(step)
        .setStructureId(id)
        .setLayer(layer)
        .setIndex(index)
        .setKind(kind)
        .setKept(kept)
        .setParameters(10)
        .setLambdaMin(singular ? 0 : 1)
        .setLambdaMax(singular ? 0 : kappa)
        .setConditionNumber(kappa)
        .setEntropy(singular ? 0 : 0.5)
        .setSingular(singular)
        .setEigenvalueFloor(1e-12)
        .setProbeSamples(8)
        .setSeed(seed)
        .setScalarOutput("loss")
        .build();
  }

  public List<RunRecord> runs() {
    return runs;
  }

  public List<MetricRow> metrics() {
    return metrics;
  }

  public List<DiagnosticRecord> diagnostics() {
    return diagnostics;
  }

  public List<PruneEvent> events() {
    return events;
  }

  /** Writes runs.avro and metrics.avro, and diagnostics.avro and prune_events.avro when asked. */
  public Path write(Path reportDir, boolean withDiagnostics, boolean withEvents) {
    AvroFiles.write(reportDir.resolve(ReportFiles.RUNS), RunRecord.class, runs);
    AvroFiles.write(reportDir.resolve(ReportFiles.METRICS), MetricRow.class, metrics);
    if (withDiagnostics) {
      AvroFiles.write(
          reportDir.resolve(ReportFiles.DIAGNOSTICS), DiagnosticRecord.class, diagnostics);
    }
    if (withEvents) {
      AvroFiles.write(reportDir.resolve(ReportFiles.PRUNE_EVENTS), PruneEvent.class, events);
    }
    return reportDir;
  }

  /** Writes all four files. */
  public Path write(Path reportDir) {
    return write(reportDir, true, true);
  }
}
