package dev.polyak.cli;

import dev.polyak.service.Sweeps;
import dev.polyak.sweep.SweepSpec;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak sweep}: a grid of training runs as one Beam job, resumable, with its reports. */
@Command(
    name = "sweep",
    description = {
      "Run every cell of a sweep file as one Beam job, with reports.",
      "Runs every cell of a sweep file (models x methods x ratios x seeds x ...) as one Beam job: each run trains"
          + " in <out>/runs/<run_id>/ (resumable), its chosen checkpoints are diagnosed, and <out>/report/ gets"
          + " runs.avro, metrics.avro, prune_events.avro, diagnostics.avro, summary.avro and report.html.",
      "Started again, it skips finished and diverged runs, resumes unfinished ones from their newest valid"
          + " checkpoint, retries failed ones and trains cells added to the file. Exit code 0 when no run FAILED,"
          + " 1 when some did (diverged runs are results, not failures), 2 for a bad sweep file."
    })
final class SweepCommand extends SweepFolderCommand {
  @Option(names = "--config", required = true, description = "The sweep file (sweep.yaml).")
  Path config;

  @Option(
      names = "--out",
      description = "Output folder (default: the file's 'out', else sweep-out next to the file).")
  Path out;

  @Mixin SweepRunOptions options;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    SweepSpec sweep = SweepSpec.load(config);
    folder = Sweeps.folder(sweep, config, out);
    return options.run(sweep, () -> sweep, config, folder, spec);
  }
}
