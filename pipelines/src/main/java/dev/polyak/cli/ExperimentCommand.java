package dev.polyak.cli;

import dev.polyak.pipelines.SweepPipeline;
import dev.polyak.service.Experiments;
import dev.polyak.service.Reports;
import dev.polyak.service.SweepReport;
import dev.polyak.summary.ReportFiles;
import dev.polyak.sweep.SweepSpec;
import java.io.IOException;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code polyak experiment list|show|run}: the paper's results as shipped sweep files. */
@Command(
    name = "experiment",
    description = "The paper's experiments, shipped as sweep files at three scales.",
    subcommands = {
      ExperimentCommand.ListExperiments.class,
      ExperimentCommand.Show.class,
      ExperimentCommand.Run.class
    })
final class ExperimentCommand {
  private static final String EARLY_STOPPING_HELP =
      "eval, kappa or pl_ratio: the sweep with ASHA early stopping on that signal at the rungs"
          + " polyak ships for the experiment (table14-seed-sensitivity), without the shipped"
          + " claims: they compare every seed's final metric, which early stopping does not train"
          + " to the end.";

  /** The shipped file, or its early-stopping variant when a signal is given. */
  static String text(String name, Experiments.Scale scale, String earlyStopping) {
    return earlyStopping == null
        ? Experiments.sweepFile(name, scale)
        : Experiments.earlyStoppingFile(name, scale, earlyStopping);
  }

  private static final String SCALE_HELP =
      "smoke (about a minute on generated data), reduced (about an hour on a 2-core CPU, genuine"
          + " data) or paper (as published); default ${DEFAULT-VALUE}.";

  @Command(
      name = "list",
      description = {
        "List the shipped experiments, one per result of the paper.",
        "Each line: the name, then the table or figure of the paper it replicates."
      })
  static final class ListExperiments implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter console = spec.commandLine().getOut();
      for (Experiments.Experiment e : Experiments.list()) {
        console.printf("%-28s  %s%n", e.name(), e.title());
      }
      console.flush();
      return 0;
    }
  }

  @Command(
      name = "show",
      description = {
        "Print the sweep file an experiment runs at a scale.",
        "The output is the shipped file itself, claims included: save it as sweep.yaml, edit it,"
            + " and run it with polyak sweep --config sweep.yaml (its data paths are relative to"
            + " the folder it is saved in)."
      })
  static final class Show implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "The experiment (polyak experiment list).")
    String name;

    @Option(names = "--scale", defaultValue = "smoke", description = SCALE_HELP)
    String scale;

    @Option(names = "--early-stopping", paramLabel = "SIGNAL", description = EARLY_STOPPING_HELP)
    String earlyStopping;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter console = spec.commandLine().getOut();
      console.print(text(name, Experiments.scale(scale), earlyStopping));
      console.flush();
      return 0;
    }
  }

  @Command(
      name = "run",
      description = {
        "Run an experiment's sweep at a scale, with its report.",
        "Runs the sweep file that polyak experiment show prints, as polyak sweep runs a file saved"
            + " in --root: each run trains in <out>/runs/<run_id>/ and <out>/report/ gets the Avro"
            + " files and report.html. The file is also written to <out>/experiment.yaml.",
        "Smoke scale generates its data under --root on the first run. The other scales read shards"
            + " that polyak download and polyak preprocess prepare; when they are missing the"
            + " command names the commands and exits with code 2 before anything trains. Started"
            + " again, it resumes as polyak sweep does.",
        "With --early-stopping SIGNAL it runs the early-stopping variant into"
            + " experiments/<name>/<scale>-asha-<signal>; when experiments/<name>/<scale> holds the"
            + " same cells run to the end, its report says whether each config's best seed there"
            + " survived (polyak report --full-sweep)."
      })
  static final class Run extends SweepFolderCommand {
    @Parameters(paramLabel = "NAME", description = "The experiment (polyak experiment list).")
    String name;

    @Option(names = "--scale", defaultValue = "smoke", description = SCALE_HELP)
    String scale;

    @Option(
        names = "--root",
        defaultValue = ".",
        description =
            "The folder the experiment's data paths (shards/...) are relative to (default: the"
                + " current folder).")
    Path root;

    @Option(
        names = "--out",
        description =
            "Output folder (default: experiments/<name>/<scale> under --root, or"
                + " <scale>-asha-<signal> with --early-stopping).")
    Path out;

    @Option(names = "--early-stopping", paramLabel = "SIGNAL", description = EARLY_STOPPING_HELP)
    String earlyStopping;

    @Mixin SweepRunOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Experiments.Scale chosen = Experiments.scale(scale);
      String text = text(name, chosen, earlyStopping);
      SweepSpec sweep = Experiments.sweep(text, name, chosen, root);
      Path full =
          root.resolve("experiments")
              .resolve(name)
              .resolve(chosen.id())
              .toAbsolutePath()
              .normalize();
      folder =
          (out != null
                  ? out
                  : earlyStopping == null
                      ? full
                      : full.resolveSibling(chosen.id() + "-asha-" + earlyStopping))
              .toAbsolutePath()
              .normalize();
      Path sweepFile = folder.resolve("experiment.yaml");
      PrintWriter console = spec.commandLine().getOut();
      if (options.dryRun) {
        console.printf("experiment %s at %s scale:%n%n%s%n", name, chosen.id(), text);
        for (Experiments.Dataset dataset : Experiments.datasetsOf(sweep, root)) {
          console.printf(
              "data %s: %s%n",
              dataset.folder(), Experiments.missing(dataset, root).orElse("present"));
        }
        return options.run(sweep, () -> sweep, sweepFile, folder, spec);
      }
      Experiments.prepare(sweep, root, options.runner.settings(), console);
      int code =
          options.run(
              sweep,
              () -> {
                write(sweepFile, text);
                return sweep;
              },
              sweepFile,
              folder,
              spec);
      if (earlyStopping != null
          && !full.equals(folder)
          && Files.isRegularFile(full.resolve(SweepPipeline.REPORT).resolve(ReportFiles.RUNS))
          && Files.isRegularFile(folder.resolve(SweepPipeline.REPORT).resolve(ReportFiles.RUNS))) {
        SweepReport compared = Reports.regenerate(folder, Optional.of(full));
        console.printf(
            "compared with the same cells run to the end in %s: %s%n", full, compared.html());
        console.flush();
      }
      return code;
    }

    private static void write(Path file, String text) {
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file, e);
      }
    }
  }
}
