package dev.polyak.cli;

import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.SafetensorsExport;
import dev.polyak.train.RestoredRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak export}: a checkpoint's weights and masks as safetensors, for PyTorch users. */
@Command(
    name = "export",
    description = {
      "Write a checkpoint's weights and masks as a safetensors file.",
      "Tensors are named as the model names its parameters (e.g. layer0.attention.query.weight, [in, out]"
          + " row-major float32) and mask/<layer> for the masks; metadata holds the step and the run spec."
    })
final class ExportCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      description =
          "A checkpoint file, a run's checkpoint folder or the run folder itself (its newest"
              + " valid checkpoint is used).")
  Path checkpoint;

  @Option(
      names = "--format",
      defaultValue = "safetensors",
      description = "Output format: safetensors (the only one).")
  String format;

  @Option(
      names = "--full-size",
      description =
          "For a run that compacted its pruned structures: write the tensors at the model's"
              + " original widths, the pruned heads' or neurons' slices zero (default: as the"
              + " checkpoint holds them, the kept slices only). Rebuilds the model, so the run's"
              + " shard set must be where it trained (or at --data).")
  boolean fullSize;

  @Option(names = "--data", description = "With --full-size: the run's shard set, if it has moved.")
  Path data;

  @Option(
      names = "--out",
      description = "Output file (default: <checkpoint name>.export.safetensors beside it).")
  Path out;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!format.equals("safetensors")) {
      throw new IllegalArgumentException("--format must be safetensors, got '" + format + "'");
    }
    Path runCheckpoints = checkpoint.resolve("checkpoints"); // given a run folder
    CheckpointStore.Located located =
        CheckpointStore.locate(Files.isDirectory(runCheckpoints) ? runCheckpoints : checkpoint);
    Checkpoint c = located.checkpoint();
    Path source = located.file();
    Path target =
        out != null
            ? out
            : source.resolveSibling(
                source.getFileName().toString().replace(".safetensors", "")
                    + ".export.safetensors");
    if (fullSize && c.compacted()) {
      try (RestoredRun run = RestoredRun.of(located, data, ai.djl.Device.cpu())) {
        SafetensorsExport.writeFullSize(
            target,
            c,
            run.trainer().model().structuresWithBuffers(),
            run.trainer().model().compaction());
      }
    } else {
      SafetensorsExport.write(target, c);
    }
    PrintWriter console = spec.commandLine().getOut();
    console.printf(
        "exported step %d (%d weights, %d masks) to %s%n",
        c.step(), c.weights().size(), c.masks().size(), target);
    console.flush();
    return 0;
  }
}
