package dev.polyak.report;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.summary.ReportFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A made-up sweep that looks like a real one, for the page's layout: model 0 a transformer scored
 * by perplexity (heads), model 1 a CNN scored by accuracy (filters); methods dense, random, pl-gate
 * and kappa-rank at several ratios over seeds; one-shot pruning a quarter of the way in;
 * whole-model and per-structure diagnostics at every quarter; one diverged and one failed run.
 * Deterministic.
 */
final class SyntheticSweep {
  private static final String[] MODELS = {"bert-tiny", "vgg-small"};
  private static final String[] METHODS = {"random", "pl-gate", "kappa-rank"};

  private final List<RunRecord> runs = new ArrayList<>();
  private final List<MetricRow> metrics = new ArrayList<>();
  private final List<PruneEvent> events = new ArrayList<>();
  private final List<DiagnosticRecord> diagnostics = new ArrayList<>();
  private int configs;
  private int unfinished;

  private SyntheticSweep() {}

  /**
   * {@code models} (1 or 2) × (dense + 3 methods × {@code ratios}) × {@code seeds}, {@code
   * evaluations} per run.
   */
  static SyntheticSweep of(int models, int ratios, int seeds, int evaluations) {
    SyntheticSweep s = new SyntheticSweep();
    for (int m = 0; m < models; m++) {
      s.cell(m, "dense", 0, seeds, evaluations);
      for (String method : METHODS) {
        for (int k = 0; k < ratios; k++) {
          s.cell(m, method, 0.25 * (k + 1), seeds, evaluations);
        }
      }
    }
    return s;
  }

  int configs() {
    return configs;
  }

  /** Diverged plus failed runs. */
  int diverged() {
    return unfinished;
  }

  Path write(Path reportDir) {
    AvroFiles.write(reportDir.resolve(ReportFiles.RUNS), RunRecord.class, runs);
    AvroFiles.write(reportDir.resolve(ReportFiles.METRICS), MetricRow.class, metrics);
    AvroFiles.write(
        reportDir.resolve(ReportFiles.DIAGNOSTICS), DiagnosticRecord.class, diagnostics);
    AvroFiles.write(reportDir.resolve(ReportFiles.PRUNE_EVENTS), PruneEvent.class, events);
    return reportDir;
  }

  private void cell(int m, String method, double ratio, int seeds, int evaluations) {
    configs++;
    String model = MODELS[m];
    boolean perplexity = m == 0;
    boolean dense = method.equals("dense");
    String config = "model=" + model + " method=" + method + (dense ? "" : " ratio=" + ratio);
    long steps = 50L * evaluations;
    long pruneStep = steps / 4;
    for (int seed = 0; seed < seeds; seed++) {
      Random random = new Random(config.hashCode() * 31L + seed);
      String runId = config.replace(' ', '_') + "_seed" + seed;
      RunStatus status = RunStatus.FINISHED;
      long lastStep = steps;
      if (m == 1 && method.equals("kappa-rank") && ratio == 0.5 && seed == seeds - 1) {
        status = RunStatus.DIVERGED;
        lastStep = steps / 2;
      } else if (m == 0 && method.equals("random") && ratio == 0.25 && seed == 1) {
        status = RunStatus.FAILED;
        lastStep = pruneStep;
      }
      double methodPenalty =
          switch (method) {
            case "random" -> 1.0;
            case "pl-gate" -> 0.25;
            case "kappa-rank" -> 0.5;
            default -> 0;
          };
      double seedShift = random.nextGaussian();
      double finalEval = Double.NaN;
      double finalTrain = Double.NaN;
      double finalLoss = Double.NaN;
      for (long step = 0; step <= lastStep; step += 50) {
        double progress = step / (double) steps;
        double bump =
            !dense && step >= pruneStep
                ? ratio * methodPenalty * Math.exp(-(step - pruneStep) / (0.2 * steps))
                : 0;
        double noise = 0.01 * random.nextGaussian();
        double loss =
            perplexity
                ? Math.log(60 + 600 * Math.exp(-5 * progress))
                    + 0.6 * bump
                    + 0.08 * ratio * methodPenalty
                    + 0.02 * seedShift
                    + noise
                : 2.3 * Math.exp(-3.5 * progress)
                    + 0.25
                    + 0.8 * bump
                    + 0.1 * ratio * methodPenalty
                    + 0.02 * seedShift
                    + noise;
        double metric = perplexity ? Math.exp(loss) : Math.min(0.99, 1.0 - 0.35 * loss);
        double trainLoss = loss - 0.05 - 0.1 * progress + 0.01 * random.nextGaussian();
        metrics.add(
            MetricRow.newBuilder()
                .setRunId(runId)
                .setConfig(config)
                .setSeed(seed)
                .setStep(step)
                .setTrainLoss(trainLoss)
                .setEvalLoss(loss)
                .setEvalMetric(metric)
                .setLearningRate(1e-3)
                .setStepMillis(50)
                .setKeptParameters(
                    dense || step < pruneStep ? 100_000 : (long) (100_000 * (1 - ratio)))
                .setElapsedSeconds(step * 0.05 + (!dense && step >= pruneStep ? 1.5 : 0))
                .build());
        finalEval = metric;
        finalTrain = perplexity ? Math.exp(trainLoss) : trainLoss;
        finalLoss = loss;
      }
      Map<String, String> labels =
          new TreeMap<>(Map.of("model", model, "method", method, "seed", Long.toString(seed)));
      if (!dense) {
        labels.put("ratio", Double.toString(ratio));
      }
      RunRecord.Builder run =
          RunRecord.newBuilder()
              .setRunId(runId)
              .setConfig(config)
              .setBaseline("model=" + model)
              .setLabels(labels)
              .setModel(model)
              .setMethod(method)
              .setRatio(ratio)
              .setSeed(seed)
              .setSpecJson("{\"model\":\"" + model + "\",\"seed\":" + seed + "}")
              .setStatus(status)
              .setLastGoodStep(lastStep)
              .setSteps(steps)
              .setResumedFromStep(0)
              .setAttempts(1)
              .setWorker("tm-1/4242")
              .setDevice("cpu()")
              .setWallSeconds(steps * 0.06)
              .setTrainSeconds(lastStep * 0.05)
              .setPruningSeconds(dense ? 0 : 1.5)
              .setMetricName(perplexity ? "perplexity" : "accuracy")
              .setPruneSteps(dense ? List.of() : List.of(pruneStep));
      if (status == RunStatus.FINISHED) {
        run.setFinalEvalMetric(finalEval)
            .setFinalTrainMetric(finalTrain)
            .setFinalEvalLoss(finalLoss)
            .setFinalTrainLoss(perplexity ? Math.log(finalTrain) : finalTrain);
      } else if (status == RunStatus.DIVERGED) {
        run.setDivergedAtStep(lastStep + 37);
        unfinished++;
      } else {
        run.setError("java.lang.OutOfMemoryError: Java heap space (synthetic)");
        unfinished++;
      }
      runs.add(run.build());
      diagnose(runId, m, seed, method, ratio, steps, pruneStep, lastStep, random);
    }
  }

  private void diagnose(
      String runId,
      int m,
      long seed,
      String method,
      double ratio,
      long steps,
      long pruneStep,
      long lastStep,
      Random random) {
    int layers = m == 0 ? 4 : 3;
    int perLayer = m == 0 ? 8 : 16;
    DiagnosticKind kind = m == 0 ? DiagnosticKind.HEAD : DiagnosticKind.FILTER;
    boolean dense = method.equals("dense");
    double[][] base = new double[layers][perLayer];
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < perLayer; i++) {
        base[l][i] = 1.5 + 0.4 * l + 1.5 * random.nextDouble();
      }
    }
    boolean[][] keep = new boolean[layers][perLayer];
    List<String> ids = new ArrayList<>();
    List<Boolean> before = new ArrayList<>();
    List<Boolean> after = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    for (int layer = 0; layer < layers; layer++) {
      final int l = layer;
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < perLayer; i++) {
        order.add(i);
      }
      switch (method) {
        case "kappa-rank" -> order.sort((a, b) -> Double.compare(base[l][a], base[l][b]));
        case "pl-gate" ->
            order.sort(
                (a, b) ->
                    Double.compare(
                        base[l][a] + 0.5 * ((a * 7) % 5), base[l][b] + 0.5 * ((b * 7) % 5)));
        default -> java.util.Collections.shuffle(order, random);
      }
      int kept = perLayer - (int) Math.floor(ratio * perLayer);
      for (int k = 0; k < kept; k++) {
        keep[l][order.get(k)] = true;
      }
      for (int i = 0; i < perLayer; i++) {
        ids.add("layer" + l + "/" + kind.name().toLowerCase(java.util.Locale.ROOT) + i);
        before.add(true);
        after.add(keep[l][i]);
        scores.add(-base[l][i]);
      }
    }
    if (!dense && lastStep >= pruneStep) {
      events.add(
          PruneEvent.newBuilder()
              .setRunId(runId)
              .setStep(pruneStep)
              .setEvent(0)
              .setMethod(method)
              .setMethodOptions(Map.of())
              .setScope(List.of(kind.name().toLowerCase(java.util.Locale.ROOT)))
              .setStructureIds(ids)
              .setScores(scores)
              .setKeptBefore(before)
              .setKeptAfter(after)
              .setTargetKept((int) after.stream().filter(b -> b).count())
              .setMinPerLayer(1)
              .setKeptParametersBefore(100_000)
              .setKeptParametersAfter((long) (100_000 * (1 - ratio)))
              .setFlopsBefore(200_000)
              .setFlopsAfter((long) (200_000 * (1 - ratio)))
              .setScoringSamples(64)
              .setWallSeconds(1.5)
              .setScoringSeconds(1.2)
              .setCheckpointBefore("before")
              .setCheckpointAfter("after")
              .build());
    }
    for (long step = 0; step <= lastStep; step += steps / 8) {
      boolean pruned = !dense && step > pruneStep;
      double drift = 0.8 * step / (double) steps;
      for (int l = 0; l < layers; l++) {
        for (int i = 0; i < perLayer; i++) {
          boolean kept = !pruned || keep[l][i];
          double kappa =
              kept
                  ? Math.pow(10, base[l][i] + drift + 0.05 * random.nextGaussian())
                  : Double.POSITIVE_INFINITY;
          diagnostics.add(
              row(
                  runId,
                  seed,
                  step,
                  "layer" + l + "/" + kind.name().toLowerCase(java.util.Locale.ROOT) + i,
                  l,
                  i,
                  kind,
                  kept,
                  kappa));
        }
      }
      double model =
          Math.pow(10, 5 + 1.5 * step / (double) steps)
              * (pruned ? 1 - 0.6 * ratio : 1)
              * (1 + 0.1 * seed);
      DiagnosticRecord modelRow =
          row(runId, seed, step, "model", null, null, DiagnosticKind.MODEL, true, model);
      modelRow.setPlRatio(2.0 / (1 + step));
      diagnostics.add(modelRow);
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
        .setParameters(kind == DiagnosticKind.MODEL ? 100_000 : 1000)
        .setLambdaMin(singular ? 0 : 1e-3)
        .setLambdaMax(singular ? 0 : 1e-3 * kappa)
        .setConditionNumber(kappa)
        .setEntropy(singular ? 0 : 1.2)
        .setSingular(singular)
        .setEigenvalueFloor(1e-12)
        .setProbeSamples(32)
        .setSeed(seed)
        .setScalarOutput("loss")
        .build();
  }
}
