package dev.polyak.cli;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code polyak quickstart}: the main job on small generated data, on an embedded Flink. */
@Command(name = "quickstart", mixinStandardHelpOptions = true, versionProvider = PolyakCli.Version.class,
    description = {
        "Generate a small deterministic WikiText-layout corpus and a CIFAR-10-format image set, preprocess both"
            + " into Parquet shards on an embedded Flink, and show how to inspect them.",
        "Everything goes under --dir; running it again replaces that folder's output."})
final class QuickstartCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "polyak-quickstart", description = "Work folder (default ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--articles", defaultValue = "150",
      description = "Articles in the generated training split (default ${DEFAULT-VALUE}).")
  int articles;

  @Option(names = "--images-per-file", defaultValue = "500",
      description = "Images in each generated CIFAR file (default ${DEFAULT-VALUE}).")
  int imagesPerFile;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated data (default ${DEFAULT-VALUE}).")
  long seed;

  @Mixin RunnerMixin runner;

  @Override
  public Integer call() {
    PrintStream console = System.out;
    RunnerSettings settings = runner.settings();
    Path textData = dir.resolve("data/wikitext");
    Path imageData = dir.resolve("data/cifar10");
    Path textShards = dir.resolve("shards/wikitext");
    Path imageShards = dir.resolve("shards/cifar10");

    console.printf("[1/4] generating a WikiText-layout corpus (seed %d) in %s%n", seed, textData);
    new SyntheticWikiText(5000).write(textData, seed, articles, Math.max(1, articles / 10), Math.max(1, articles / 10));
    console.printf("[2/4] generating CIFAR-10-format images (seed %d, %d per file) in %s%n", seed, imagesPerFile, imageData);
    SyntheticCifar.write(imageData, CifarVariant.CIFAR10, seed, imagesPerFile);

    console.printf("[3/4] ");
    WikiTextConfig text = WikiTextConfig.defaults().withRowsPerShard(100);
    PreprocessCommand.runAndReport(console, "wikitext", textShards, settings,
        () -> PreprocessPipeline.run(new PreprocessPipeline.WikiTextJob(textData, textShards, text, true),
            settings.toPipelineOptions("polyak-quickstart-wikitext")));
    console.printf("[4/4] ");
    CifarConfig images = new CifarConfig(1000, 0);
    PreprocessCommand.runAndReport(console, "cifar", imageShards, settings,
        () -> PreprocessPipeline.run(new PreprocessPipeline.CifarJob(imageData, imageShards, Optional.empty(), images, true),
            settings.toPipelineOptions("polyak-quickstart-cifar")));

    Path abs = dir.toAbsolutePath().normalize();
    console.println();
    console.println("Inspect the shards with any Parquet tool, for example:");
    console.printf("  duckdb -c \"SELECT split, count(*) AS rows, min(len(input_ids)) AS seq_len FROM '%s/shards/wikitext/*.parquet' GROUP BY split\"%n", abs);
    console.printf("  duckdb -c \"SELECT label, count(*) FROM '%s/shards/cifar10/train-*.parquet' GROUP BY label ORDER BY label\"%n", abs);
    console.printf("  python3 -c \"import glob, pyarrow.parquet as pq; print(pq.read_table(sorted(glob.glob('%s/shards/wikitext/train-*.parquet'))[0]).slice(0, 1).to_pylist())\"%n", abs);
    console.printf("The manifests (%s/shards/*/manifest.json) list every input and shard with its sha256.%n", abs);
    return 0;
  }
}
