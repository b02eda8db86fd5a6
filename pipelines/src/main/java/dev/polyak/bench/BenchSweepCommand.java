package dev.polyak.bench;

import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.io.FileTrees;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.schemas.RunRecord;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak bench sweep}: the same sweep of small runs on an embedded Flink with parallelism 1
 * and then 2, each from an empty folder: wall time, speed-up, and the share of slot time not spent
 * in training steps (scheduling, checkpoints, evaluations, diagnostics, reports).
 */
@Command(
    name = "sweep",
    description = {
      "Measure sweep throughput on an embedded Flink.",
      "Sweep throughput: --runs bert-tiny runs (one per seed, --steps each, dense, one checkpoint per evaluation)"
          + " on a generated corpus, swept on an embedded Flink with each --parallelism (one intra-op thread per slot).",
      "Prints per parallelism the wall time of the whole job (training, checkpoints, reports), the time in training"
          + " steps summed over runs (runs.avro's train_seconds), the overhead = 1 - step time / (wall x slots), and"
          + " the speed-up over the first parallelism."
    })
final class BenchSweepCommand implements Callable<Integer> {
  @Option(
      names = "--runs",
      defaultValue = "8",
      description = "Runs in the sweep (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--steps",
      defaultValue = "150",
      description = "Steps per run (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--model",
      defaultValue = "bert-tiny",
      description = "Model preset (default ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--parallelism",
      split = ",",
      defaultValue = "1,2",
      description = "Slots to compare (default ${DEFAULT-VALUE}).")
  List<Integer> parallelism;

  @Option(
      names = "--work",
      defaultValue = "${java.io.tmpdir}/polyak-bench-sweep",
      description = "Work folder (default ${DEFAULT-VALUE}).")
  Path work;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter console = spec.commandLine().getOut();
    FileTrees.deleteRecursively(work);
    Path corpus = work.resolve("corpus");
    Path shards = work.resolve("shards");
    new SyntheticWikiText(5000).write(corpus, 7, 150, 15, 15);
    PreprocessPipeline.run(
            new PreprocessPipeline.WikiTextJob(
                corpus, shards, WikiTextConfig.defaults().withRowsPerShard(100), true),
            RunnerSettings.direct(2).toPipelineOptions("polyak-bench-sweep-data"))
        .waitUntilFinish();
    String yaml =
        String.join(
            "\n",
            "model: " + model,
            "data: " + shards,
            "steps: " + steps,
            "batch_size: 16",
            "eval_every: 50",
            "eval_samples: 128",
            "checkpoint_every: 50",
            "grid:",
            "  seed: 0.." + (runs - 1),
            "");
    Files.writeString(work.resolve("sweep.yaml"), yaml);
    SweepSpec sweep = SweepSpec.parse(yaml, work);
    console.printf(
        "bench sweep: %d %s runs x %d steps (dense, checkpoint and evaluation every 50 steps), embedded Flink,"
            + " 1 intra-op thread per slot, %d cores%n",
        runs, model, steps, Runtime.getRuntime().availableProcessors());
    console.printf(
        "%-11s  %8s  %13s  %8s  %8s%n",
        "parallelism", "wall s", "step s (sum)", "overhead", "speed-up");
    double first = 0;
    for (int p : parallelism) {
      Path out = work.resolve("sweep-p" + p);
      long begin = System.nanoTime();
      SweepPipeline.Outcome outcome =
          SweepPipeline.run(
              new SweepPipeline.SweepJob(
                  SweepPipeline.tasks(sweep.cells(), out),
                  out,
                  new TrainRunFn.Settings(
                      RunPolicy.standard(), sweep.diagnostics(), "cpu", 1, null)),
              RunnerSettings.embeddedFlink(p).toPipelineOptions("polyak-bench-sweep"));
      double wall = (System.nanoTime() - begin) / 1e9;
      double stepSeconds = 0;
      for (RunRecord r :
          dev.polyak.data.io.AvroFiles.read(
              outcome.reportFolder().resolve("runs.avro"), RunRecord.class)) {
        stepSeconds += r.getTrainSeconds();
      }
      if (first == 0) {
        first = wall;
      }
      console.printf(
          Locale.ROOT,
          "%-11d  %8.1f  %13.1f  %7.1f%%  %7.2fx%n",
          p,
          wall,
          stepSeconds,
          100 * (1 - stepSeconds / (wall * p)),
          first / wall);
      console.flush();
    }
    return 0;
  }
}
