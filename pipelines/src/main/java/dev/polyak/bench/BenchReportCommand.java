package dev.polyak.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.io.Digests;
import dev.polyak.io.FileTrees;
import dev.polyak.report.HtmlReport;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import dev.polyak.summary.SweepSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak bench report}: what the report step of a large sweep costs. Writes a synthetic
 * sweep's runs.avro and metrics.avro (streamed to disk, snappy as the sweep's AvroIO writes them),
 * then times {@link SweepSummary#write} and {@link HtmlReport#write} on them with the heap they
 * use.
 */
@Command(
    name = "report",
    description = {
      "Measure the report step's cost on a large synthetic sweep.",
      "Report cost at scale: writes a synthetic sweep's runs.avro and metrics.avro (--runs runs over --configs"
          + " configs, --evaluations metric rows per run; streamed to disk, snappy-compressed as the sweep writes"
          + " them), then times summary.avro (SweepSummary, one streamed pass over metrics.avro) and report.html.",
      "Configs come in baselines of 9 (dense, then random and pl-gate at ratios 0.25, 0.5, 0.75, 0.9), alternating"
          + " a perplexity model (bert-small) and an accuracy model (resnet56) and halving the learning rate every"
          + " two baselines; the last baseline takes what is left. Every config gets runs / configs seeds (the first"
          + " configs one more when that does not divide).",
      "Prints the files' sizes, a decode-only pass over metrics.avro for comparison, and for the summary and the"
          + " page: seconds, rows/s, the peak heap (heap pools' peaks, reset before) and the largest heap left"
          + " after a collection during the step (the live set)."
    })
final class BenchReportCommand implements Callable<Integer> {
  @Option(
      names = "--runs",
      defaultValue = "10000",
      description = "Runs in the sweep (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--evaluations",
      defaultValue = "100",
      description = "Metric rows (evaluations) per finished run (default ${DEFAULT-VALUE}).")
  int evaluations;

  @Option(
      names = "--configs",
      defaultValue = "40",
      description = "Configs (runs without their seed; default ${DEFAULT-VALUE}).")
  int configs;

  @Option(
      names = "--work",
      defaultValue = "${java.io.tmpdir}/polyak-bench-report",
      description = "Work folder, emptied first (default ${DEFAULT-VALUE}).")
  Path work;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (configs < 1 || runs < configs || evaluations < 1) {
      throw new IllegalArgumentException(
          "--configs and --evaluations must be at least 1 and --runs at least --configs");
    }
    PrintWriter console = spec.commandLine().getOut();
    FileTrees.deleteRecursively(work);
    Path report = work.resolve("report");
    Files.createDirectories(report);
    SyntheticSweepFiles sweep = new SyntheticSweepFiles(configs, runs, evaluations);
    console.printf(
        Locale.ROOT,
        "bench report: %,d runs in %d configs (%d baselines, %s seeds per config) x %,d evaluations;"
            + " %d cores, max heap %,d MiB%n",
        runs,
        configs,
        sweep.baselines(),
        sweep.seedsPerConfig(),
        evaluations,
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);

    long begin = System.nanoTime();
    long rows = sweep.write(report);
    double writeSeconds = seconds(begin);
    Path metrics = report.resolve(ReportFiles.METRICS);
    console.printf(
        Locale.ROOT,
        "write: runs.avro %.1f MB + metrics.avro %.1f MB (%,d rows, snappy) in %.1f s%n",
        Files.size(report.resolve(ReportFiles.RUNS)) / 1e6,
        Files.size(metrics) / 1e6,
        rows,
        writeSeconds);
    console.flush();

    HeapWatch.Figures<Long> read =
        HeapWatch.measure(() -> AvroFiles.forEach(metrics, MetricRow.class, row -> {}));
    console.printf(
        Locale.ROOT,
        "decode metrics.avro only (no aggregation): %.2f s, %.2f M rows/s%n",
        read.seconds(),
        rows / 1e6 / read.seconds());

    HeapWatch.Figures<List<SummaryRecord>> summary =
        HeapWatch.measure(() -> SweepSummary.write(report));
    console.printf(
        Locale.ROOT,
        "SweepSummary.write: %.2f s, %.2f M rows/s, %d summary rows; %s%n",
        summary.seconds(),
        rows / 1e6 / summary.seconds(),
        summary.result().size(),
        summary.describeHeap());
    console.flush();

    HeapWatch.Figures<Path> html = HeapWatch.measure(() -> HtmlReport.write(report));
    console.printf(
        Locale.ROOT,
        "HtmlReport.write: %.2f s (summary.avro read back, one more pass over metrics.avro for the"
            + " curves; seed charts draw at most 10 seeds, then min/mean/max; no diagnostics.avro here, so no"
            + " condition-number charts), report.html %.0f kB; %s%n",
        html.seconds(),
        Files.size(report.resolve(ReportFiles.HTML)) / 1e3,
        html.describeHeap());
    console.flush();
    return 0;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /**
   * Heap figures of one measured step: the sum of the heap pools' peaks since a reset just before
   * it (an upper bound: garbage not yet collected counts), and the most heap still used right after
   * any collection during it (the live set, from the collectors' notifications).
   */
  static final class HeapWatch implements NotificationListener {
    /** What one step took. */
    record Figures<T>(
        T result,
        double seconds,
        long peakBytes,
        long maxAfterGcBytes,
        long collections,
        long collectionMillis) {
      String describeHeap() {
        String live =
            collections == 0
                ? "no collection during the step"
                : String.format(
                    Locale.ROOT,
                    "at most %,d MiB left after a collection (%d collections, %d ms)",
                    maxAfterGcBytes >> 20,
                    collections,
                    collectionMillis);
        return String.format(
            Locale.ROOT,
            "peak heap %,d MiB (sum of the heap pools' peaks), %s",
            peakBytes >> 20,
            live);
      }
    }

    private long maxAfterGc;

    /** Runs {@code step} once, after a full collection and a reset of the pools' peaks. */
    static <T> Figures<T> measure(Supplier<T> step) {
      HeapPeaks.reset();
      HeapWatch watch = new HeapWatch();
      List<NotificationEmitter> emitters = new ArrayList<>();
      long collections = 0;
      long millis = 0;
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        collections -= gc.getCollectionCount();
        millis -= gc.getCollectionTime();
        if (gc instanceof NotificationEmitter emitter) {
          emitter.addNotificationListener(watch, null, null);
          emitters.add(emitter);
        }
      }
      long begin = System.nanoTime();
      T result = step.get();
      double seconds = seconds(begin);
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        collections += gc.getCollectionCount();
        millis += gc.getCollectionTime();
      }
      for (NotificationEmitter emitter : emitters) {
        try {
          emitter.removeNotificationListener(watch);
        } catch (javax.management.ListenerNotFoundException e) {
          throw new IllegalStateException(e);
        }
      }
      long peak = HeapPeaks.peakBytes();
      synchronized (watch) {
        return new Figures<>(result, seconds, peak, watch.maxAfterGc, collections, millis);
      }
    }

    @Override
    public synchronized void handleNotification(Notification notification, Object handback) {
      if (!notification
          .getType()
          .equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
        return;
      }
      GarbageCollectionNotificationInfo info =
          GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
      long used = 0;
      for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
        if (isHeapPool(e.getKey())) {
          used += e.getValue().getUsed();
        }
      }
      maxAfterGc = Math.max(maxAfterGc, used);
    }

    private static boolean isHeapPool(String name) {
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getName().equals(name)) {
          return pool.getType() == MemoryType.HEAP;
        }
      }
      return false;
    }
  }

  /**
   * A made-up sweep's runs.avro and metrics.avro, written record by record: curves shaped like
   * training (perplexity falling towards 60, accuracy rising towards 0.9), a seed effect shared by
   * the runs of one baseline and seed (so matched runs are paired), a pruning bump a quarter of the
   * way in that fades, a method penalty growing with the ratio (pl-gate's small enough that some
   * seeds reach their dense run), about 1 in 200 runs diverged and 1 in 500 failed. Deterministic.
   */
  static final class SyntheticSweepFiles {
    static final double[] RATIOS = {0.25, 0.5, 0.75, 0.9};
    static final String[] PRUNING_METHODS = {"random", "pl-gate"};
    static final long EVAL_EVERY = 100;

    /** One config of the made-up sweep. */
    record Config(
        String name,
        String baseline,
        int baselineIndex,
        String model,
        String method,
        double ratio,
        double learningRate,
        boolean perplexity) {}

    private final List<Config> configs = new ArrayList<>();
    private final int runs;
    private final int evaluations;

    SyntheticSweepFiles(int configCount, int runs, int evaluations) {
      this.runs = runs;
      this.evaluations = evaluations;
      for (int b = 0; configs.size() < configCount; b++) {
        boolean perplexity = b % 2 == 0;
        String model = perplexity ? "bert-small" : "resnet56";
        double learningRate = (perplexity ? 1e-3 : 0.1) / (1 << (b / 2));
        String baseline =
            "model="
                + model
                + " learning_rate="
                + java.math.BigDecimal.valueOf(learningRate).toPlainString();
        configs.add(
            new Config(
                baseline + " method=dense",
                baseline,
                b,
                model,
                "dense",
                0,
                learningRate,
                perplexity));
        for (double ratio : RATIOS) {
          for (String method : PRUNING_METHODS) {
            if (configs.size() < configCount) {
              configs.add(
                  new Config(
                      baseline + " method=" + method + " ratio=" + ratio,
                      baseline,
                      b,
                      model,
                      method,
                      ratio,
                      learningRate,
                      perplexity));
            }
          }
        }
      }
    }

    int baselines() {
      return configs.get(configs.size() - 1).baselineIndex() + 1;
    }

    String seedsPerConfig() {
      int low = runs / configs.size();
      return runs % configs.size() == 0 ? Integer.toString(low) : low + "-" + (low + 1);
    }

    /** Writes both files into {@code reportDir}; returns the metric rows written. */
    long write(Path reportDir) throws IOException {
      long rows = 0;
      try (DataFileWriter<RunRecord> runFile =
              open(RunRecord.class, reportDir.resolve(ReportFiles.RUNS));
          DataFileWriter<MetricRow> metricFile =
              open(MetricRow.class, reportDir.resolve(ReportFiles.METRICS))) {
        int base = runs / configs.size();
        int extra = runs % configs.size();
        for (int c = 0; c < configs.size(); c++) {
          Config config = configs.get(c);
          int seeds = base + (c < extra ? 1 : 0);
          for (int seed = 0; seed < seeds; seed++) {
            rows += run(config, seed, runFile, metricFile);
          }
        }
      }
      return rows;
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> DataFileWriter<T> open(
        Class<T> type, Path file) throws IOException {
      DataFileWriter<T> writer = new DataFileWriter<>(new SpecificDatumWriter<>(type));
      writer.setCodec(CodecFactory.snappyCodec());
      writer.create(org.apache.avro.specific.SpecificData.get().getSchema(type), file.toFile());
      return writer;
    }

    private long run(
        Config config,
        int seed,
        DataFileWriter<RunRecord> runFile,
        DataFileWriter<MetricRow> metricFile)
        throws IOException {
      String runId =
          HexFormat.of()
              .formatHex(
                  Digests.sha256()
                      .digest((config.name() + " seed=" + seed).getBytes(StandardCharsets.UTF_8)),
                  0,
                  8);
      SplittableRandom random = new SplittableRandom(runId.hashCode());
      double seedShift =
          new SplittableRandom(seed * 1_000_003L + config.baselineIndex()).nextGaussian();
      boolean dense = config.method().equals("dense");
      long steps = EVAL_EVERY * evaluations;
      long pruneStep = Math.max(EVAL_EVERY, steps / 4 / EVAL_EVERY * EVAL_EVERY);
      double stepSeconds = config.perplexity() ? 0.05 : 0.03;
      double pruningSeconds = dense ? 0 : 20 + 10 * config.ratio();
      double penalty =
          dense
              ? 0
              : config.ratio() * (config.method().equals("random") ? 0.08 : 0.02)
                  - (config.method().equals("pl-gate") ? 0.006 : 0);
      RunStatus status = RunStatus.FINISHED;
      long lastStep = steps;
      double fate = random.nextDouble();
      if (fate < 0.002) {
        status = RunStatus.FAILED;
        lastStep = Math.min(steps, pruneStep);
      } else if (fate < 0.007) {
        status = RunStatus.DIVERGED;
        lastStep = Math.max(EVAL_EVERY, steps / 2 / EVAL_EVERY * EVAL_EVERY);
      }
      long keptAll = config.perplexity() ? 28_800_000L : 855_770L;
      long keptPruned = (long) (keptAll * (1 - 0.4 * config.ratio()));
      double finalEval = Double.NaN;
      double finalTrain = Double.NaN;
      double finalLoss = Double.NaN;
      long rows = 0;
      for (long step = EVAL_EVERY; step <= lastStep; step += EVAL_EVERY) {
        double progress = step / (double) steps;
        boolean pruned = !dense && step >= pruneStep;
        double bump = pruned ? config.ratio() * Math.exp(-(step - pruneStep) / (0.2 * steps)) : 0;
        double noise = 0.01 * random.nextGaussian();
        double loss =
            config.perplexity()
                ? Math.log(60 + 600 * Math.exp(-5 * progress))
                    + 0.6 * bump
                    + penalty
                    + 0.02 * seedShift
                    + noise
                : 2.3 * Math.exp(-3.5 * progress)
                    + 0.25
                    + 0.8 * bump
                    + 1.25 * penalty
                    + 0.02 * seedShift
                    + noise;
        double metric = config.perplexity() ? Math.exp(loss) : Math.min(0.99, 1.0 - 0.35 * loss);
        double trainLoss = loss - 0.05 - 0.1 * progress + 0.01 * random.nextGaussian();
        metricFile.append(
            MetricRow.newBuilder()
                .setRunId(runId)
                .setConfig(config.name())
                .setSeed(seed)
                .setStep(step)
                .setTrainLoss(trainLoss)
                .setEvalLoss(loss)
                .setEvalMetric(metric)
                .setLearningRate(config.learningRate())
                .setStepMillis(1000 * stepSeconds * (1 + 0.05 * random.nextGaussian()))
                .setKeptParameters(pruned ? keptPruned : keptAll)
                .setElapsedSeconds(step * stepSeconds + (pruned ? pruningSeconds : 0))
                .build());
        rows++;
        finalEval = metric;
        finalTrain = config.perplexity() ? Math.exp(trainLoss) : trainLoss;
        finalLoss = loss;
      }
      Map<String, String> labels =
          new TreeMap<>(
              Map.of(
                  "model",
                  config.model(),
                  "method",
                  config.method(),
                  "learning_rate",
                  java.math.BigDecimal.valueOf(config.learningRate()).toPlainString(),
                  "seed",
                  Integer.toString(seed)));
      if (!dense) {
        labels.put("ratio", Double.toString(config.ratio()));
      }
      RunRecord.Builder record =
          RunRecord.newBuilder()
              .setRunId(runId)
              .setConfig(config.name())
              .setBaseline(config.baseline())
              .setLabels(labels)
              .setModel(config.model())
              .setMethod(config.method())
              .setRatio(config.ratio())
              .setSeed(seed)
              .setSpecJson(specJson(config, seed, steps, pruneStep))
              .setStatus(status)
              .setLastGoodStep(lastStep)
              .setSteps(steps)
              .setResumedFromStep(0)
              .setAttempts(1)
              .setWorker(
                  String.format(
                      Locale.ROOT,
                      "node-%03d/%d",
                      Math.floorMod(runId.hashCode(), 125),
                      4000 + seed % 8))
              .setDevice("gpu(" + seed % 8 + ")")
              .setWallSeconds(lastStep * stepSeconds * 1.15 + pruningSeconds)
              .setTrainSeconds(lastStep * stepSeconds)
              .setPruningSeconds(lastStep >= pruneStep ? pruningSeconds : 0)
              .setMetricName(config.perplexity() ? "perplexity" : "accuracy")
              .setPruneSteps(dense || lastStep < pruneStep ? List.of() : List.of(pruneStep));
      switch (status) {
        case FINISHED ->
            record
                .setFinalEvalMetric(finalEval)
                .setFinalTrainMetric(finalTrain)
                .setFinalEvalLoss(finalLoss)
                .setFinalTrainLoss(config.perplexity() ? Math.log(finalTrain) : finalTrain)
                .setKeptParameters(dense ? keptAll : keptPruned);
        case DIVERGED -> record.setDivergedAtStep(lastStep + 37);
        case FAILED ->
            record.setError("java.lang.OutOfMemoryError: CUDA out of memory (synthetic)");
        default -> throw new IllegalStateException("unknown status " + status);
      }
      runFile.append(record.build());
      return rows;
    }

    /** A canonical-RunSpec-like JSON, about as long as a real one. */
    private static String specJson(Config config, int seed, long steps, long pruneStep) {
      String pruning =
          config.method().equals("dense")
              ? "null"
              : "{\"method\":\""
                  + config.method()
                  + "\",\"min_per_layer\":1,\"ratio\":"
                  + config.ratio()
                  + ",\"schedule\":\"one_shot\",\"scoring_samples\":256,\"scope\":[\""
                  + (config.perplexity() ? "head" : "filter")
                  + "\"],\"step\":"
                  + pruneStep
                  + "}";
      return "{\"batch_size\":"
          + (config.perplexity() ? 16 : 128)
          + ",\"eval_every\":"
          + EVAL_EVERY
          + ",\"eval_samples\":1024,\"eval_split\":\""
          + (config.perplexity() ? "valid" : "test")
          + "\",\"learning_rate\":"
          + config.learningRate()
          + ",\"max_gradient_norm\":1.0,\"model\":\""
          + config.model()
          + "\",\"model_options\":{},\"momentum\":0.9,\"optimizer\":\""
          + (config.perplexity() ? "adamw" : "sgd")
          + "\",\"pruning\":"
          + pruning
          + ",\"schedule\":\"cosine\",\"seed\":"
          + seed
          + ",\"steps\":"
          + steps
          + ",\"train_split\":\"train\",\"warmup_steps\":"
          + steps / 10
          + ",\"weight_decay\":"
          + (config.perplexity() ? 0.01 : 5e-4)
          + "}";
    }
  }
}
