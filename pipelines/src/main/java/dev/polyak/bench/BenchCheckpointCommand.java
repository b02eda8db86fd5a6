package dev.polyak.bench;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.read.ShardSet;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.io.FileTrees;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.train.ModelFamily;
import dev.polyak.train.RunSpec;
import dev.polyak.train.Trainer;
import dev.polyak.train.TrainerCheckpoints;
import dev.polyak.train.Trainers;
import dev.polyak.train.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak bench checkpoint}: size and save/load time of a full training checkpoint (weights,
 * buffers, optimizer state, masks) per model preset, as a sweep writes one at every {@code
 * checkpoint_every}.
 */
@Command(
    name = "checkpoint",
    description = {
      "Measure checkpoint size and save/load time per model preset.",
      "Checkpoint cost per model preset: builds the trainer of a minimal run spec on small generated shards"
          + " (a WikiText-layout corpus whose vocabulary is near WikiText-2's, CIFAR-10-format images), takes one"
          + " optimizer step so that the optimizer state exists, captures the checkpoint and saves it --repeats times.",
      "Prints the trainable parameters, the file size, the capture time (tensors copied out of the engine), the"
          + " median save time (safetensors + SHA-256, temporary file, fsync, rename) with MB/s, and the median"
          + " read-and-verify time (CheckpointStore.load: both checksums) right after, from the page cache.",
      "bert-base is measured only when --models names it."
    })
final class BenchCheckpointCommand implements Callable<Integer> {
  @Option(
      names = "--models",
      split = ",",
      defaultValue = "mlp,bert-tiny,bert-small,vgg16,resnet56,switch-tiny",
      description = "Presets to measure, comma-separated (default ${DEFAULT-VALUE}).")
  List<String> models;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description =
          "Saves and loads per preset; the median is printed" + " (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--articles",
      defaultValue = "3000",
      description =
          "Training articles of the generated corpus"
              + " (default ${DEFAULT-VALUE}: a vocabulary of about 33,000 words, near WikiText-2's 33,278, which sizes BERT's"
              + " embeddings and output layer).")
  int articles;

  @Option(
      names = "--work",
      defaultValue = "${java.io.tmpdir}/polyak-bench-checkpoint",
      description = "Work folder, emptied first (default ${DEFAULT-VALUE}).")
  Path work;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The figures of one preset. */
  record Measurement(
      String model,
      long parameters,
      long bytes,
      double captureSeconds,
      double[] saveSeconds,
      double[] loadSeconds) {
    String describe() {
      double megabytes = bytes / 1e6;
      double save = Spread.median(saveSeconds);
      double load = Spread.median(loadSeconds);
      return String.format(
          Locale.ROOT,
          "%-12s %,13d %10.1f %9.3f %9.3f %8.0f %9.3f %8.0f",
          model,
          parameters,
          megabytes,
          captureSeconds,
          save,
          megabytes / save,
          load,
          megabytes / load);
    }
  }

  @Override
  public Integer call() throws IOException {
    if (repeats < 1 || articles < 1) {
      throw new IllegalArgumentException("--repeats and --articles must be at least 1");
    }
    PrintWriter console = spec.commandLine().getOut();
    List<String> known = new ArrayList<>();
    for (String model : models) {
      try {
        ModelFamily.of(model);
        known.add(model);
      } catch (IllegalArgumentException e) {
        console.printf(
            "%s: no such preset, skipped (presets: %s)%n",
            model, String.join(", ", ModelFamily.allPresets()));
      }
    }
    FileTrees.deleteRecursively(work);
    long begin = System.nanoTime();
    Optional<Path> text =
        known.stream().anyMatch(m -> ModelFamily.of(m).transformer())
            ? Optional.of(textShards())
            : Optional.empty();
    Optional<Path> images =
        known.stream().anyMatch(m -> !ModelFamily.of(m).transformer())
            ? Optional.of(imageShards())
            : Optional.empty();
    String vocabulary =
        text.map(
                t ->
                    String.format(
                        Locale.ROOT,
                        ", text vocabulary %,d",
                        ShardSet.open(t).tokens("train").vocabularySize()))
            .orElse("");
    console.printf(
        Locale.ROOT,
        "bench checkpoint: %d cores, max heap %,d MiB, data generated and preprocessed in %.1f s%s;"
            + " median of %d saves and loads in %s%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        (System.nanoTime() - begin) / 1e9,
        vocabulary,
        repeats,
        work);
    console.printf(
        "%-12s %13s %10s %9s %9s %8s %9s %8s%n",
        "model",
        "parameters",
        "file MB",
        "capture s",
        "save s",
        "save MB/s",
        "load s",
        "load MB/s");
    console.flush();
    for (String model : known) {
      Path data = ModelFamily.of(model).transformer() ? text.orElseThrow() : images.orElseThrow();
      console.println(measure(model, data).describe());
      console.flush();
    }
    if (!known.contains("bert-base")) {
      console.println(
          "bert-base: not measured (name it in --models; about 1.3 GB with AdamW state)");
    }
    console.println(
        "load = CheckpointStore.load (read, both SHA-256 checks, tensors decoded), from the page cache;"
            + " save includes fsync");
    return 0;
  }

  private Measurement measure(String model, Path data) {
    boolean transformer = ModelFamily.of(model).transformer();
    RunSpec run =
        RunSpec.parse(
            String.join(
                "\n",
                "model: " + model,
                "data: " + data,
                "steps: 1",
                "batch_size: " + (transformer ? 8 : 16),
                "eval_every: 1",
                "eval_samples: 8",
                "checkpoint_every: 1",
                ""),
            work);
    Checkpoint checkpoint;
    long parameters;
    double captureSeconds;
    try (Trainer trainer = Trainers.create(run, ShardSet.open(run.data()), Device.cpu())) {
      trainer.train(1, TrainingListener.onEachStep((step, loss) -> {}));
      parameters = trainer.model().parameters().count();
      long begin = System.nanoTime();
      checkpoint = TrainerCheckpoints.capture(trainer, run.canonicalJson(), "[]", false);
      captureSeconds = (System.nanoTime() - begin) / 1e9;
    }
    CheckpointStore store =
        new CheckpointStore(
            work.resolve("checkpoints").resolve(model), RetentionPolicy.keepLast(1));
    double[] save = new double[repeats];
    double[] load = new double[repeats];
    Path file = null;
    for (int i = 0; i < repeats; i++) {
      long begin = System.nanoTime();
      file = store.save(checkpoint);
      save[i] = (System.nanoTime() - begin) / 1e9;
    }
    for (int i = 0; i < repeats; i++) {
      long begin = System.nanoTime();
      Checkpoint read = store.load(file);
      load[i] = (System.nanoTime() - begin) / 1e9;
      if (read.step() != checkpoint.step()) {
        throw new IllegalStateException(
            file + ": read back step " + read.step() + ", saved " + checkpoint.step());
      }
    }
    try {
      return new Measurement(model, parameters, Files.size(file), captureSeconds, save, load);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Path textShards() {
    Path corpus = work.resolve("corpus");
    Path shards = work.resolve("shards/wikitext");
    new SyntheticWikiText(45_000)
        .write(corpus, 1, articles, Math.max(1, articles / 100), Math.max(1, articles / 100));
    PreprocessPipeline.run(
            new PreprocessPipeline.WikiTextJob(corpus, shards, WikiTextConfig.defaults(), true),
            RunnerSettings.direct(2).toPipelineOptions("polyak-bench-checkpoint-text"))
        .waitUntilFinish();
    return shards;
  }

  private Path imageShards() {
    Path images = work.resolve("images");
    Path shards = work.resolve("shards/cifar10");
    SyntheticCifar.write(images, CifarVariant.CIFAR10, 1, 100);
    PreprocessPipeline.run(
            new PreprocessPipeline.CifarJob(
                images, shards, Optional.empty(), new CifarConfig(1000, 0), true),
            RunnerSettings.direct(2).toPipelineOptions("polyak-bench-checkpoint-images"))
        .waitUntilFinish();
    return shards;
  }
}
