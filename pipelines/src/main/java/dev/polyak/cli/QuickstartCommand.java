package dev.polyak.cli;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.io.FileTrees;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.runner.RunnerMixin;
import dev.polyak.service.Sweeps;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code polyak quickstart}: the main job on small generated data, on an embedded Flink. */
@Command(
    name = "quickstart",
    description = {
      "Try polyak end to end on small generated data.",
      "Generate a small deterministic WikiText-layout corpus and a CIFAR-10-format image set, preprocess both"
          + " into Parquet shards on an embedded Flink, and show how to inspect them.",
      "Then sweep bert-tiny x {dense, pl-gate, random} x 2 seeds on the text shards (one Beam job: training,"
          + " diagnostics at the pruning event and every 100 steps, reports) and print report.html's path and the summary.",
      "Everything goes under --dir; running it again replaces that folder's output."
    })
final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--dir",
      defaultValue = "polyak-quickstart",
      description = "Work folder (default ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--articles",
      defaultValue = "150",
      description = "Articles in the generated training split (default ${DEFAULT-VALUE}).")
  int articles;

  @Option(
      names = "--images-per-file",
      defaultValue = "500",
      description = "Images in each generated CIFAR file (default ${DEFAULT-VALUE}).")
  int imagesPerFile;

  @Option(
      names = "--steps",
      defaultValue = "300",
      description = "Training steps of each sweep run (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the generated data (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--wait",
      description =
          "If another polyak process holds --dir, wait until it ends (default: exit"
              + " with code 2 naming it).")
  boolean waitForFolder;

  @Mixin RunnerMixin runner;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try (dev.polyak.data.io.FolderLock lock =
            FolderOwnership.take(dir, "quickstart folder", waitForFolder, spec);
        // <dir>/sweep has a lock of its own (a `polyak sweep --config <dir>/sweep.yaml` holds it):
        // taken before anything is replaced, handed over to the sweep just before it starts.
        dev.polyak.data.io.FolderLock sweepLock =
            FolderOwnership.take(dir.resolve("sweep"), "sweep folder", waitForFolder, spec)) {
      return quickstart(sweepLock);
    }
  }

  private int quickstart(dev.polyak.data.io.FolderLock sweepLock) {
    PrintStream console = System.out;
    RunnerSettings settings = runner.settings();
    Path textData = dir.resolve("data/wikitext");
    Path imageData = dir.resolve("data/cifar10");
    Path textShards = dir.resolve("shards/wikitext");
    Path imageShards = dir.resolve("shards/cifar10");

    console.printf("[1/5] generating a WikiText-layout corpus (seed %d) in %s%n", seed, textData);
    new SyntheticWikiText(5000)
        .write(textData, seed, articles, Math.max(1, articles / 10), Math.max(1, articles / 10));
    console.printf(
        "[2/5] generating CIFAR-10-format images (seed %d, %d per file) in %s%n",
        seed, imagesPerFile, imageData);
    SyntheticCifar.write(imageData, CifarVariant.CIFAR10, seed, imagesPerFile);

    console.printf("[3/5] ");
    WikiTextConfig text = WikiTextConfig.defaults().withRowsPerShard(100);
    PreprocessConsole.runAndReport(
        console,
        "wikitext",
        textShards,
        settings,
        () ->
            PreprocessPipeline.run(
                new PreprocessPipeline.WikiTextJob(textData, textShards, text, true),
                settings.toPipelineOptions("polyak-quickstart-wikitext")));
    console.printf("[4/5] ");
    CifarConfig images = new CifarConfig(1000, 0);
    PreprocessConsole.runAndReport(
        console,
        "cifar",
        imageShards,
        settings,
        () ->
            PreprocessPipeline.run(
                new PreprocessPipeline.CifarJob(
                    imageData, imageShards, Optional.empty(), images, true),
                settings.toPipelineOptions("polyak-quickstart-cifar")));

    Path runs = dir.resolve("runs");
    writeRunFile(
        runs.resolve("vgg16.yaml"),
        String.join(
            "\n",
            "# A reduced-width VGG-16 (every width / 8) on the quickstart images: the paper's SGD recipe",
            "# at half its rate, which on a few hundred images swings too far early on.",
            "model: vgg16",
            "model_options: {width_divisor: 8}",
            "data: ../shards/cifar10",
            "steps: 60",
            "learning_rate: 0.05",
            "batch_size: 64",
            "eval_every: 30",
            "eval_samples: 500",
            ""));
    writeRunFile(
        runs.resolve("bert-tiny.yaml"),
        String.join(
            "\n",
            "# bert-tiny by masked language modelling on the quickstart corpus, BERT's AdamW recipe.",
            "model: bert-tiny",
            "data: ../shards/wikitext",
            "steps: 200",
            "batch_size: 16",
            "eval_every: 50",
            ""));
    Path sweepFile =
        writeRunFile(
            dir.resolve("sweep.yaml"),
            String.join(
                "\n",
                "# bert-tiny on the quickstart corpus: dense against PL-regularized gating and random pruning of",
                "# half its attention heads at step 100 (at least one head kept per layer), two seeds each.",
                "model: bert-tiny",
                "data: shards/wikitext",
                "steps: " + steps,
                "batch_size: 16",
                "eval_every: 50",
                "eval_samples: 256",
                "checkpoint_every: 50",
                "pruning: {step: 100, min_per_layer: 1, scoring_samples: 32}",
                "grid:",
                "  method: [dense, pl-gate, random]",
                "  ratio: [0.5]",
                "  seed: 0..1",
                "diagnostics: {at: [pruning, end], every: 100, probe_samples: 16, hutchinson_probes: 2, structures: [head]}",
                "out: sweep",
                "# What the report's Claims section tests on these runs, pairing the methods' runs by seed",
                "# (two seeds: expect 'inconclusive at this scale' unless a difference is large and consistent).",
                "claims:",
                "  - id: plgate-lower-final-perplexity",
                "    text: pl-gate ends with a lower held-out perplexity than dense",
                "    statistic: final_metric",
                "    config: {method: pl-gate}",
                "    against: {method: dense}",
                "    direction: lower",
                "    paper: Table 1 (BERT on WikiText-2, 75 % of heads)",
                "  - id: plgate-lower-than-random",
                "    text: pl-gate ends with a lower held-out perplexity than random pruning at the same ratio",
                "    statistic: final_metric",
                "    config: {method: pl-gate}",
                "    against: {method: random}",
                "    direction: lower",
                "  - id: random-higher-than-dense",
                "    text: random pruning ends with a higher held-out perplexity than dense (a sanity check)",
                "    statistic: final_metric",
                "    config: {method: random}",
                "    against: {method: dense}",
                "    direction: higher",
                "  - id: plgate-pruning-lowers-kappa",
                "    text: the pl-gate pruning event lowers the whole-model condition number",
                "    statistic: kappa_jump",
                "    config: {method: pl-gate}",
                "    against: {method: dense}",
                "    direction: lower",
                "    paper: Figures 3 and 5",
                ""));
    // A fresh sweep (the shards above were just replaced), then the sweep takes its folder's lock.
    clearAllButLock(dir.resolve("sweep"));
    sweepLock.close();
    console.printf(
        "[5/5] sweeping bert-tiny x {dense, pl-gate, random} x 2 seeds, %d steps each (%s)%n",
        steps, sweepFile);
    console.flush();
    SweepSpec sweep = SweepSpec.load(sweepFile);
    int swept =
        SweepConsole.run(
            () -> sweep,
            sweepFile,
            Sweeps.folder(sweep, sweepFile, null),
            RunPolicy.standard(),
            Sweeps.Execution.of(settings),
            false,
            spec);
    if (swept != 0) {
      return swept;
    }

    PrintWriter out = spec.commandLine().getOut();
    Path abs = dir.toAbsolutePath().normalize();
    out.println();
    out.printf(
        "Open %s/sweep/report/report.html; regenerate it with ./polyak report --sweep %s/sweep%n",
        abs, abs);
    out.printf(
        "Train one run: ./polyak train --config %s/runs/bert-tiny.yaml --out %s/runs/bert-tiny%n",
        abs, abs);
    out.println("Inspect the shards with any Parquet tool, for example:");
    out.printf(
        "  duckdb -c \"SELECT split, count(*) AS rows, min(len(input_ids)) AS seq_len FROM '%s/shards/wikitext/*.parquet' GROUP BY split\"%n",
        abs);
    out.printf(
        "  duckdb -c \"SELECT label, count(*) FROM '%s/shards/cifar10/train-*.parquet' GROUP BY label ORDER BY label\"%n",
        abs);
    out.printf(
        "  python3 -c \"import glob, pyarrow.parquet as pq; print(pq.read_table(sorted(glob.glob('%s/shards/wikitext/train-*.parquet'))[0]).slice(0, 1).to_pylist())\"%n",
        abs);
    out.printf(
        "The manifests (%s/shards/*/manifest.json) list every input and shard with its sha256.%n",
        abs);
    out.flush();
    return 0;
  }

  /** Deletes everything in {@code folder} but the lock this command holds there. */
  private static void clearAllButLock(Path folder) {
    try (java.util.stream.Stream<Path> children = Files.list(folder)) {
      for (Path child : children.toList()) {
        if (!child.getFileName().toString().equals(dev.polyak.data.io.FolderLock.FILE_NAME)) {
          FileTrees.deleteRecursively(child);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the previous quickstart run " + folder, e);
    }
  }

  private static Path writeRunFile(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      return Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
