package dev.polyak.bench;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.data.read.MlmMasking;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.Bert;
import dev.polyak.nn.Devices;
import dev.polyak.nn.EngineThreads;
import dev.polyak.nn.ResNet56;
import dev.polyak.nn.Structure;
import dev.polyak.nn.Switch;
import dev.polyak.nn.Vgg16;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import dev.polyak.train.ClassificationTrainer;
import dev.polyak.train.MlmTrainer;
import dev.polyak.train.Trainer;
import dev.polyak.train.TrainingConfig;
import dev.polyak.train.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code polyak bench train}: training throughput of polyak's trainers, with 1 and 2 intra-op
 * threads, against the PyTorch reference scripts run right after on the same machine, plus the
 * process RSS over a long bert-tiny run.
 */
@Command(
    name = "train",
    description = {
      "Measure training throughput with 1 and 2 threads.",
      "Training throughput: bert-small MLM tokens/s (seq 128, batch 16, AdamW, vocabulary 33,278, logits at the"
          + " masked positions) and CIFAR CNN images/s (batch 64, SGD), each with 1 and 2 threads, and the share"
          + " of each step spent preparing the batch in Java.",
      "With --reference DIR (the PyTorch scripts of shared/anchors) each figure is followed by the reference's,"
          + " measured right after in a separate Python process, and the ratio.",
      "--rounds R measures each model and thread count R times, alternating with the reference, and"
          + " prints the median of the R ratios taken pair by pair (the machine's speed drifts between"
          + " minutes; a pair's two figures share the drift).",
      "--rss-steps N trains bert-tiny for N steps and prints the process RSS every N/10 steps.",
      "--pruned 0.5,0.75 also measures each model with that share of each layer's heads (bert-small),"
          + " experts (switch-small: bert-small with 4 experts per layer) or filters (vgg16, resnet56)"
          + " pruned, masked and compacted (sliced out of the tensors), against the FLOPs ratio the"
          + " pruning event records."
    })
final class BenchTrainCommand implements Callable<Integer> {
  /** WikiText-2's vocabulary size, as the reference scripts use. */
  static final int VOCABULARY = 33_278;

  @Option(
      names = "--model",
      split = ",",
      defaultValue = "bert-small,vgg16",
      description =
          "Models to measure, comma-separated: bert-small, vgg16, resnet56 (default: ${DEFAULT-VALUE}).")
  List<String> models;

  @Option(
      names = "--threads",
      split = ",",
      defaultValue = "1,2",
      description = "Intra-op thread counts to measure (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(
      names = "--steps",
      defaultValue = "8",
      description =
          "Measured steps per figure, after 2 warm-up steps"
              + " (default: ${DEFAULT-VALUE}, as the reference's 8 repetitions).")
  int steps;

  @Option(
      names = "--reference",
      description = "Folder of the PyTorch reference scripts (run.sh), e.g. ../shared/anchors.")
  Path reference;

  @Option(
      names = "--rounds",
      defaultValue = "1",
      description =
          "Rounds per model and thread count, each polyak then the reference (default:"
              + " ${DEFAULT-VALUE}); above one, the median ratio pair by pair is printed too.")
  int rounds;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description =
          "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE};" + " a GPU needs the gpu build).")
  String device;

  @Option(
      names = "--rss-steps",
      defaultValue = "0",
      description =
          "bert-tiny steps for the RSS trace (0 = skip;" + " the issue's figure is 10000).")
  long rssSteps;

  @Option(
      names = "--pruned",
      split = ",",
      description =
          "Pruning ratios (each layer's heads, experts or filters), comma-separated in [0, 1): each"
              + " is measured masked and compacted after the dense figure (default: none).")
  List<Double> pruned = List.of();

  @Option(
      names = "--profile",
      paramLabel = "TRACE",
      description =
          "Profile the first model at the first thread count instead: its engine operators (PyTorch's"
              + " profiler, a Chrome trace written to TRACE) against the step's wall time, and the"
              + " operators with the most self time.")
  Path profile;

  /** The models {@code --pruned} measures, each with the structures it prunes. */
  static final java.util.Map<String, Structure.Kind> PRUNABLE =
      java.util.Map.of(
          "bert-small",
          Structure.Kind.HEAD,
          "switch-small",
          Structure.Kind.EXPERT,
          "vgg16",
          Structure.Kind.FILTER,
          "resnet56",
          Structure.Kind.FILTER);

  @Override
  public Integer call() throws Exception {
    if (pruned.stream().anyMatch(r -> !(r >= 0 && r < 1))) {
      throw new IllegalArgumentException("--pruned: each ratio must be in [0, 1), got " + pruned);
    }
    if (!pruned.isEmpty() && !PRUNABLE.keySet().containsAll(models)) {
      throw new IllegalArgumentException(
          "--pruned measures "
              + new java.util.TreeSet<>(PRUNABLE.keySet())
              + " only, got --model "
              + String.join(",", models));
    }
    if (pruned.isEmpty() && models.contains("switch-small")) {
      throw new IllegalArgumentException("--model switch-small is measured with --pruned only");
    }
    if (steps < 1 || rounds < 1 || rssSteps < 0 || threads.stream().anyMatch(n -> n < 1)) {
      throw new IllegalArgumentException(
          "--steps, --rounds and --threads must be at least 1 and --rss-steps at least 0");
    }
    Device target = Devices.require(Devices.parse(device));
    PrintStream console = System.out;
    console.printf("device: %s%n", target);
    console.printf(
        "machine: %d cores, Java %s, max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    if (profile != null) {
      EngineThreads.set(threads.get(0));
      try (Trainer trainer = trainer(models.get(0), target)) {
        trainer.train(2, TrainingListener.onEachStep((step, loss) -> {}));
        StepProfile.print(StepProfile.run(trainer, steps, profile), 15, console);
      }
      console.printf("trace: %s (chrome://tracing or https://ui.perfetto.dev)%n", profile);
      return 0;
    }
    // with --pruned, the dense figure is the first row of the pruning table
    for (String model : pruned.isEmpty() ? models : List.<String>of()) {
      for (int n : threads) {
        EngineThreads.set(n);
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        Arrays.fill(theirs, Double.NaN);
        String unit = "";
        for (int round = 0; round < rounds; round++) {
          Measurement m = measure(model, n, target);
          unit = m.unit();
          ours[round] = m.rate();
          console.printf(
              "%s, %d thread(s): %s, step median %.3f s (min %.3f, max %.3f), batch preparation in"
                  + " Java %.1f %% of the step%n",
              model, n, m.describe(), m.median(), m.min(), m.max(), 100 * m.hostShare());
          if (reference != null) {
            Optional<Double> r = referenceRate(model, n, console);
            if (r.isPresent()) {
              theirs[round] = r.get();
              console.printf(
                  "%s, %d thread(s): PyTorch reference %.1f %s, ratio polyak / reference %.2f%n",
                  model, n, r.get(), unit, ours[round] / r.get());
            }
          }
        }
        Spread polyak = Spread.of(ours);
        if (rounds > 1) {
          console.printf(
              "%s, %d thread(s): %d rounds, polyak median %.1f %s (min %.1f, max %.1f)%s%n",
              model,
              n,
              rounds,
              polyak.median(),
              unit,
              polyak.min(),
              polyak.max(),
              pairedRatios(ours, theirs)
                  .map(
                      q ->
                          String.format(
                              "; ratio polyak / reference pair by pair: median %.2f (min %.2f,"
                                  + " max %.2f) of %d pairs",
                              q.median(), q.min(), q.max(), q.count()))
                  .orElse(""));
        }
        if (reference != null && model.equals("bert-small")) {
          gemmBound(n, polyak.median(), console);
        }
      }
    }
    for (String model : pruned.isEmpty() ? List.<String>of() : models) {
      prunedTable(console, target, model);
    }
    if (rssSteps > 0) {
      EngineThreads.set(threads.get(0));
      rssTrace(console);
    }
    return 0;
  }

  /** Per-step figures of one model and thread count. */
  record Measurement(double[] stepSeconds, double itemsPerStep, String unit, double hostShare) {
    double median() {
      return Spread.median(stepSeconds);
    }

    double min() {
      return Arrays.stream(stepSeconds).min().orElseThrow();
    }

    double max() {
      return Arrays.stream(stepSeconds).max().orElseThrow();
    }

    double rate() {
      return itemsPerStep / median();
    }

    String describe() {
      return String.format("%.1f %s", rate(), unit);
    }
  }

  /**
   * What a measured model has pruned: a share of each layer's structures of one kind, masked or
   * compacted.
   */
  record Pruning(double ratio, Structure.Kind kind, boolean compact) {
    String describe() {
      return ratio == 0
          ? "dense"
          : String.format(
              "%.0f %% %ss %s",
              100 * ratio,
              kind.name().toLowerCase(java.util.Locale.ROOT),
              compact ? "compacted" : "masked");
    }
  }

  /**
   * {@code model} dense, then for each ratio masked and compacted, at each thread count: the median
   * step time, its speed-up over dense and the FLOPs ratio {@code flops_after / flops_before} that
   * a {@code PruneEvent} would record for the same masks. The models train side by side, one step
   * of each in turn ({@code steps} rounds after 2 warm-up rounds), so that a change in the
   * machine's load falls on all of them alike.
   */
  private void prunedTable(PrintStream console, Device target, String model) {
    console.printf(
        "%-26s | threads | step median s (min-max) | speed-up vs dense | FLOPs ratio (PruneEvent)%n",
        model + ", interleaved");
    Structure.Kind kind = PRUNABLE.get(model);
    List<Pruning> rows = new java.util.ArrayList<>(List.of(new Pruning(0, kind, false)));
    for (double r : pruned) {
      rows.add(new Pruning(r, kind, false));
      rows.add(new Pruning(r, kind, true));
    }
    for (int n : threads) {
      EngineThreads.set(n);
      List<Trainer> trainers = new java.util.ArrayList<>();
      double[] flopsRatios = new double[rows.size()];
      double[][] seconds = new double[rows.size()][steps];
      try {
        for (int k = 0; k < rows.size(); k++) {
          Trainer trainer = trainer(model, target);
          trainers.add(trainer);
          flopsRatios[k] = prune(trainer, rows.get(k));
        }
        long[] end = new long[1];
        TrainingListener stamp =
            TrainingListener.onEachStep((step, loss) -> end[0] = System.nanoTime());
        for (int round = 0; round < steps + 2; round++) {
          for (int k = 0; k < rows.size(); k++) {
            Trainer trainer = trainers.get(k);
            long started = System.nanoTime();
            trainer.train(trainer.step() + 1, stamp);
            if (round >= 2) {
              seconds[k][round - 2] = (end[0] - started) / 1e9;
            }
          }
        }
      } finally {
        trainers.forEach(Trainer::close);
      }
      double dense = new Measurement(seconds[0], 1, "", 0).median();
      for (int k = 0; k < rows.size(); k++) {
        Measurement m = new Measurement(seconds[k], 1, "", 0);
        console.printf(
            "%-26s | %7d | %.3f (%.3f-%.3f)     | %17.2f | %.3f%n",
            rows.get(k).describe(),
            n,
            m.median(),
            m.min(),
            m.max(),
            dense / m.median(),
            flopsRatios[k]);
      }
    }
  }

  /**
   * Masks the last {@code floor(ratio × size)} structures of every mask group of the pruned kind;
   * compacts if asked.
   */
  private static double prune(Trainer trainer, Pruning pruning) {
    dev.polyak.nn.MaskedModel model = trainer.model();
    long before = model.flopsPerSample();
    for (Structure s : model.structuresAsBuilt()) {
      int size = model.masks().size(s.layer());
      if (s.kind() == pruning.kind()
          && s.index() >= size - (int) Math.floor(pruning.ratio() * size)) {
        model.masks().set(s.layer(), s.index(), false);
      }
    }
    if (pruning.compact()) {
      dev.polyak.train.TrainerCompaction.compactPruned(trainer);
    }
    return (double) model.flopsPerSample() / before;
  }

  private Measurement measure(String model, int threadCount, Device target) {
    try (Trainer trainer = trainer(model, target)) {
      return model.equals("bert-small")
          ? time(trainer, 16 * 128, "tokens/s")
          : time(trainer, 64, "images/s");
    }
  }

  /** bert-small: hidden 256, 4 layers, 4 heads, FFN 1024, seq 128, vocabulary 33,278. */
  static Bert.Config bertSmall() {
    return new Bert.Config(VOCABULARY, 256, 4, 4, 1024, 128);
  }

  /** A fresh trainer of {@code model} for the benchmark, at step 0. */
  private Trainer trainer(String model, Device target) {
    return switch (model) {
      case "bert-small", "switch-small" -> {
        TokenDataset data = randomTokens(VOCABULARY, 128, 512, 1);
        Bert.Config config = bertSmall();
        MlmTrainer.ModelFactory factory =
            model.equals("switch-small")
                ? (manager, init) ->
                    new Switch(
                        Switch.Config.of(
                            config,
                            Switch.Config.DEFAULT_EXPERTS,
                            Switch.Config.DEFAULT_CAPACITY_FACTOR,
                            Switch.Config.DEFAULT_AUXILIARY_LOSS_COEFFICIENT),
                        manager,
                        init)
                : (manager, init) -> new Bert(config, manager, init);
        yield new MlmTrainer(factory, bertTraining(), data, data, target);
      }
      case "vgg16", "resnet56" -> {
        ImageDataset data = randomImages(256, 3);
        TrainingConfig training =
            new TrainingConfig(
                0,
                steps + 2,
                64,
                TrainingConfig.OptimizerKind.SGD,
                0.05,
                TrainingConfig.Schedule.CONSTANT,
                0,
                5e-4,
                0.9,
                0,
                steps + 2,
                1);
        ClassificationTrainer.ModelFactory factory =
            model.equals("vgg16")
                ? (manager, streams) ->
                    new Vgg16(
                        Vgg16.Config.cifar(10),
                        manager,
                        streams.stream(RandomStreams.INIT),
                        streams.stream(RandomStreams.DROPOUT))
                : (manager, streams) ->
                    new ResNet56(
                        ResNet56.Config.cifar(10), manager, streams.stream(RandomStreams.INIT));
        yield new ClassificationTrainer(training, data, data, factory, target);
      }
      default ->
          throw new IllegalArgumentException(
              "--model: unknown model '"
                  + model
                  + "'; available: bert-small, switch-small, vgg16, resnet56");
    };
  }

  /**
   * bert-small's training for the benchmark: AdamW at a constant rate, one evaluation at the end.
   */
  private TrainingConfig bertTraining() {
    return new TrainingConfig(
        0,
        steps + 2,
        16,
        TrainingConfig.OptimizerKind.ADAMW,
        1e-4,
        TrainingConfig.Schedule.CONSTANT,
        0,
        0.01,
        0,
        0,
        steps + 2,
        1);
  }

  /**
   * Random CIFAR-shaped images with random labels (throughput only, as the reference's random
   * tensors).
   */
  static ImageDataset randomImages(int count, long seed) {
    RandomStream random = new RandomStreams(seed).stream("bench-images");
    byte[][] images = new byte[count][CifarVariant.IMAGE_BYTES];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      for (int b = 0; b < images[i].length; b++) {
        images[i][b] = (byte) random.nextInt(256);
      }
      labels[i] = random.nextInt(10);
    }
    float[] mean = {127.5f, 127.5f, 127.5f};
    float[] std = {73.9f, 73.9f, 73.9f};
    return new ImageDataset("bench", images, labels, null, 10, mean, std);
  }

  /**
   * Runs 2 warm-up steps and {@code steps} timed ones (each from the end of the previous step to
   * its own end); the one-sample evaluation at the end of the run happens after the last stamp.
   */
  private Measurement time(Trainer trainer, double itemsPerStep, String unit) {
    long[] stamps = new long[steps + 3];
    trainer.train(2, stampListener(stamps));
    long hostBefore = trainer.hostNanos();
    stamps[2] = System.nanoTime();
    trainer.train(steps + 2, stampListener(stamps));
    double[] seconds = new double[steps];
    for (int i = 0; i < steps; i++) {
      seconds[i] = (stamps[i + 3] - stamps[i + 2]) / 1e9;
    }
    double total = (stamps[steps + 2] - stamps[2]) / 1e9;
    double host = (trainer.hostNanos() - hostBefore) / 1e9;
    return new Measurement(seconds, itemsPerStep, unit, host / total);
  }

  private static TrainingListener stampListener(long[] stamps) {
    return TrainingListener.onEachStep((step, loss) -> stamps[(int) step] = System.nanoTime());
  }

  /** Rows of uniformly random word ids (ids 5 and up; 0-4 are the special tokens). */
  static TokenDataset randomTokens(int vocabulary, int length, int rows, long seed) {
    RandomStream random = new RandomStreams(seed).stream("bench-tokens");
    int[][] ids = new int[rows][length];
    int[] lengths = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < length; t++) {
        ids[r][t] = 5 + random.nextInt(vocabulary - 5);
      }
      lengths[r] = length;
    }
    return new TokenDataset("bench", ids, lengths, vocabulary, length);
  }

  /**
   * The ratios {@code ours[i] / theirs[i]} of the rounds whose reference gave a figure (a NaN in
   * {@code theirs} leaves its round out): their median, minimum and maximum and how many there
   * were; empty when no round has a reference figure. Pair by pair, not a ratio of medians: the two
   * figures of a round were measured a minute apart and share the machine's speed at that time.
   */
  static Optional<Spread> pairedRatios(double[] ours, double[] theirs) {
    double[] ratios =
        java.util.stream.IntStream.range(0, ours.length)
            .filter(i -> !Double.isNaN(theirs[i]))
            .mapToDouble(i -> ours[i] / theirs[i])
            .toArray();
    return ratios.length == 0 ? Optional.empty() : Optional.of(Spread.of(ratios));
  }

  /**
   * The reference script's figure for the same model and thread count, or empty (with the reason
   * printed).
   */
  private Optional<Double> referenceRate(String model, int threadCount, PrintStream console)
      throws IOException, InterruptedException {
    List<JsonNode> results =
        model.equals("bert-small")
            ? AnchorScripts.run(
                reference,
                threadCount,
                console,
                "bert_train.py",
                "hf",
                Integer.toString(VOCABULARY),
                "masked")
            : AnchorScripts.run(reference, threadCount, console, "cnn.py", model);
    String field = model.equals("bert-small") ? "tokens_per_s" : "train_img_per_s";
    return results.isEmpty()
        ? Optional.empty()
        : Optional.of(results.get(results.size() - 1).get(field).asDouble());
  }

  /**
   * bert-small's GEMM-bound limit at {@code threadCount} threads: the machine's matrix-multiply
   * rate ({@code gemm.py}'s median at 2048², run now) over the matrix-product FLOPs of a training
   * step per token ({@link #trainingFlopsPerToken}), and {@code rate}'s share of it.
   */
  private void gemmBound(int threadCount, double rate, PrintStream console)
      throws IOException, InterruptedException {
    double gflops =
        AnchorScripts.run(reference, threadCount, console, "gemm.py").stream()
            .filter(
                r -> r.path("bench").asText().equals("gemm_torch") && r.path("n").asInt() == 2048)
            .mapToDouble(r -> r.path("gflops_median").asDouble())
            .findFirst()
            .orElse(Double.NaN);
    if (Double.isNaN(gflops)) {
      console.printf("bert-small, %d thread(s): gemm.py gave no 2048² figure%n", threadCount);
      return;
    }
    Bert.Config config = bertSmall();
    double flops;
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager();
        Bert bert = new Bert(config, manager, new RandomStreams(0).stream(RandomStreams.INIT))) {
      flops =
          trainingFlopsPerToken(
              bert.flopsPerSample(), config, MlmMasking.bert(config.vocabSize()).maskProbability());
    }
    double limit = gflops * 1e9 / flops;
    console.printf(
        "bert-small, %d thread(s): GEMM-bound limit %.0f tokens/s (gemm.py %.1f GFLOP/s at 2048²,"
            + " %.1f MFLOP of matrix products per token); polyak at %.0f %% of it%n",
        threadCount, limit, gflops, flops / 1e6, 100 * rate / limit);
  }

  /**
   * Matrix-product FLOPs of one MLM training step per token: three times the forward pass's (the
   * backward pass computes two products for each of the forward pass's), with the MLM head (its
   * dense layer and the tied decoder) at the masked share of positions only, as {@code MlmTrainer}
   * computes it; {@code forwardPerSample} is {@link Bert#flopsPerSample()}, which counts the head
   * at every position.
   */
  static double trainingFlopsPerToken(long forwardPerSample, Bert.Config c, double maskedShare) {
    double t = c.maxLength();
    double h = c.hidden();
    double head = 2 * t * h * h + 2 * t * h * c.vocabSize();
    return 3 * (forwardPerSample - head + maskedShare * head) / t;
  }

  /**
   * bert-tiny for {@code rssSteps} steps, printing the resident set size every tenth of the run.
   */
  private void rssTrace(PrintStream console) {
    TokenDataset data = randomTokens(VOCABULARY, 128, 1024, 2);
    Bert.Config config = new Bert.Config(VOCABULARY, 128, 2, 2, 512, 128);
    TrainingConfig training =
        new TrainingConfig(
            0,
            rssSteps,
            16,
            TrainingConfig.OptimizerKind.ADAMW,
            1e-4,
            TrainingConfig.Schedule.CONSTANT,
            0,
            0.01,
            0,
            1.0,
            rssSteps,
            16);
    long every = Math.max(1, rssSteps / 10);
    console.printf(
        "RSS trace: bert-tiny (vocabulary %d, seq 128, batch 16), %d steps, %d thread(s)%n",
        VOCABULARY, rssSteps, JniUtils.getNumThreads());
    console.printf(
        "step 0: RSS %d MiB, Java heap committed %d MiB%n",
        rssKib() >> 10, Runtime.getRuntime().totalMemory() >> 20);
    try (MlmTrainer trainer = new MlmTrainer(config, training, data, data)) {
      long started = System.nanoTime();
      trainer.train(
          rssSteps,
          TrainingListener.onEachStep(
              (step, loss) -> {
                if (step % every == 0) {
                  console.printf(
                      "step %d: RSS %d MiB, Java heap committed %d MiB, %.1f ms/step so far%n",
                      step,
                      rssKib() >> 10,
                      Runtime.getRuntime().totalMemory() >> 20,
                      (System.nanoTime() - started) / 1e6 / step);
                }
              }));
    }
  }

  /** This process's resident set size in KiB, from /proc/self/status (Linux); -1 elsewhere. */
  static long rssKib() {
    return statusKib("VmRSS:");
  }

  /**
   * A KiB field of /proc/self/status, e.g. {@code VmHWM:} for the peak RSS; -1 where it is missing.
   */
  static long statusKib(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
