package dev.polyak.cli;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.runner.RunnerMixin;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code polyak preprocess wikitext|cifar}. */
@Command(
    name = "preprocess",
    description = {
      "Turn WikiText or CIFAR files into reproducible Parquet shards.",
      "Each output folder holds the shards and a manifest.json that describes them."
    },
    subcommands = {PreprocessCommand.WikiText.class, PreprocessCommand.Cifar.class})
final class PreprocessCommand {

  /** --rows-per-shard or --shards, not both. */
  static final class Sharding {
    @Option(names = "--rows-per-shard", description = "Rows per shard file.")
    Long rowsPerShard;

    @Option(names = "--shards", description = "A fixed number of shard files per split.")
    Integer shards;
  }

  @Command(
      name = "wikitext",
      description = {
        "Tokenize WikiText into fixed-length rows of token ids.",
        "Reads wiki.*.tokens, wiki.*.raw or *.txt files. The tokens of a split are concatenated in file order, one end-of-line token per line, and cut into"
            + " windows of --seq-len; the last partial window is dropped (--tail drop, the count is in the"
            + " manifest) or padded with [PAD] (--tail pad)."
      })
  static final class WikiText implements Callable<Integer>, RecoveryAdvice {
    @Option(
        names = "--input",
        required = true,
        description = "Folder with the WikiText split files.")
    Path input;

    @Option(
        names = "--out",
        required = true,
        description = "Output folder for shards, vocab.txt and manifest.json.")
    Path out;

    @Option(
        names = "--seq-len",
        defaultValue = "128",
        description = "Tokens per row (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(
        names = "--vocab-split",
        defaultValue = "train",
        description = "Split whose tokens make the vocabulary (default ${DEFAULT-VALUE}).")
    String vocabSplit;

    @Option(
        names = "--min-count",
        defaultValue = "1",
        description = "Leave out tokens seen fewer times (default ${DEFAULT-VALUE}).")
    long minCount;

    @Option(
        names = "--max-vocab",
        defaultValue = "0",
        description = "Most vocabulary entries, specials included; 0 = no limit (default).")
    int maxVocab;

    @Option(
        names = "--eol-token",
        defaultValue = "<eos>",
        description = "End-of-line token (default ${DEFAULT-VALUE}).")
    String eolToken;

    @Option(
        names = "--unk-marker",
        defaultValue = "<unk>",
        description =
            "The source's own unknown-word token, mapped to [UNK] (default ${DEFAULT-VALUE}).")
    String unknownMarker;

    @Option(
        names = "--tail",
        defaultValue = "drop",
        description = "drop (default) or pad the last partial row of a split.")
    String tail;

    @ArgGroup(exclusive = true)
    Sharding sharding = new Sharding();

    @Option(
        names = "--chunk-mb",
        defaultValue = "4",
        description =
            "Size of the byte ranges scanned in parallel, in MiB (default ${DEFAULT-VALUE}); does not change the output.")
    int chunkMb;

    @Option(names = "--overwrite", description = "Replace a shard set already in --out.")
    boolean overwrite;

    @Mixin RunnerMixin runner;

    @Override
    public Optional<String> recoveryAdvice() {
      return Optional.of(unchanged(out));
    }

    @Override
    public Integer call() {
      WikiTextConfig defaults = WikiTextConfig.defaults();
      WikiTextConfig config =
          new WikiTextConfig(
              seqLen,
              vocabSplit,
              minCount,
              maxVocab,
              eolToken,
              unknownMarker,
              WikiTextConfig.Tail.valueOf(tail.toUpperCase(java.util.Locale.ROOT)),
              sharding.rowsPerShard != null ? sharding.rowsPerShard : defaults.rowsPerShard(),
              sharding.shards != null ? sharding.shards : 0);
      if (chunkMb < 1 || chunkMb > 1024) {
        throw new IllegalArgumentException("--chunk-mb must be in 1..1024, got " + chunkMb);
      }
      PreprocessPipeline.WikiTextJob job =
          new PreprocessPipeline.WikiTextJob(input, out, config, overwrite, chunkMb << 20);
      RunnerSettings settings = runner.settings();
      return PreprocessConsole.runAndReport(
          System.out,
          "wikitext",
          out,
          settings,
          () ->
              PreprocessPipeline.run(
                  job, settings.toPipelineOptions("polyak-preprocess-wikitext")));
    }
  }

  @Command(
      name = "cifar",
      description = {
        "Decode CIFAR-10 / CIFAR-100 binary files into Parquet shards.",
        "One row per image: (split, source_file, index, label, coarse_label, image), pixels unchanged."
      })
  static final class Cifar implements Callable<Integer>, RecoveryAdvice {
    @Option(names = "--input", required = true, description = "Folder with the CIFAR binary files.")
    Path input;

    @Option(
        names = "--out",
        required = true,
        description = "Output folder for shards and manifest.json.")
    Path out;

    @Option(
        names = "--variant",
        description = "cifar10 or cifar100; detected from the file names when left out.")
    String variant;

    @ArgGroup(exclusive = true)
    Sharding sharding = new Sharding();

    @Option(names = "--overwrite", description = "Replace a shard set already in --out.")
    boolean overwrite;

    @Mixin RunnerMixin runner;

    @Override
    public Optional<String> recoveryAdvice() {
      return Optional.of(unchanged(out));
    }

    @Override
    public Integer call() {
      CifarConfig defaults = CifarConfig.defaults();
      CifarConfig config =
          new CifarConfig(
              sharding.rowsPerShard != null ? sharding.rowsPerShard : defaults.rowsPerShard(),
              sharding.shards != null ? sharding.shards : 0);
      PreprocessPipeline.CifarJob job =
          new PreprocessPipeline.CifarJob(
              input,
              out,
              Optional.ofNullable(variant).map(CifarVariant::fromId),
              config,
              overwrite);
      RunnerSettings settings = runner.settings();
      return PreprocessConsole.runAndReport(
          System.out,
          "cifar",
          out,
          settings,
          () -> PreprocessPipeline.run(job, settings.toPipelineOptions("polyak-preprocess-cifar")));
    }
  }

  /** What a preprocessing job stopped by a file-system failure left in {@code out}. */
  static String unchanged(Path out) {
    return "no half-written shard set is left in "
        + out
        + " (a set appears only when complete, its manifest last);"
        + " once fixed, run the same command again";
  }
}
