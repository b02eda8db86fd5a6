package dev.polyak.sweep;

import dev.polyak.BadInputException;
import dev.polyak.train.RunSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A sweep, as a user writes it in {@code sweep.yaml}: a grid of training runs, the diagnostics to
 * compute on them, and where they run. The whole file is validated, and every cell expanded to a
 * {@link RunSpec}, before anything runs.
 *
 * <pre>
 * # Every key of a run file (model, data, train_split, eval_split, seed, steps, batch_size, optimizer,
 * # learning_rate, schedule, warmup_steps, weight_decay, momentum, max_gradient_norm, eval_every,
 * # eval_samples, checkpoint_every, keep_last, model_options, pruning) may appear at the top level:
 * # it applies to every cell.
 * data: shards            # relative to the sweep file's folder
 * train_split: valid
 * steps: 300
 * eval_every: 50
 * pruning:                # pruning keys shared by every cell whose method is not dense
 *   step: 100
 *   min_per_layer: 1
 * grid:                   # every combination of the axes is a cell, the first axis varying slowest
 *   model: [bert-tiny, bert-small]
 *   method: [dense, random, pl-gate, {name: pl-gate, label: pl-gate-a0.5, alpha: 0.5}]
 *   ratio: [0.25, 0.5]    # pruning.ratio; dense cells have none
 *   seed: 0..99           # a list [0, 1, 5], an inclusive range a..b, or one number
 *   learning_rate: [1e-4, 3e-4]
 * diagnostics:            # optional; absent = no diagnostics
 *   at: [pruning, end]
 *   every: 100
 *   probe_samples: 16
 *   hutchinson_probes: 2
 *   structures: [head]
 * device: cpu             # cpu | gpu
 * out: sweep-out          # optional; relative to the sweep file; the command line's --out wins
 * </pre>
 *
 * <p><b>Top level.</b> Run-file keys apply to every cell; {@code data} is resolved against the sweep
 * file's folder. {@code pruning:} holds the pruning keys every pruned cell shares (scope, schedule,
 * step, min_per_layer, options, ...); its {@code method} and {@code ratio} come from the grid when
 * those are axes, and a key may not be given both at the top level and as an axis. Without a
 * method axis every cell takes {@code pruning.method}, or is dense when there is no pruning block.
 *
 * <p><b>Grid.</b> An axis is a key with a non-empty list of values; every run-file key but the
 * pruning block may be one ({@code data}, {@code steps}, {@code batch_size}, {@code model_options}
 * as a list of maps, ...), as may {@code method}, {@code ratio} and {@code seed} (or {@code seeds}).
 * <ul>
 *   <li>{@code method}: a method name (dense, random, magnitude, lth, grad-score, snip, grasp, fpgm,
 *       chip, kappa-rank, pl-gate), or a map of {@code name}, the method's options (see PruningMethod)
 *       and an optional {@code label}. A method reads as its label, else its name.
 *   <li>{@code ratio}: the one-shot pruning ratio, in [0, 1). Dense cells ignore it: they carry no
 *       ratio label, and the dense cells that differ only in ratio are one cell.
 *   <li>{@code seed}: a list of distinct seeds {@code [0, 1, 5]}, an inclusive range {@code 0..99}
 *       (100 seeds), or one number, all at least 0. The seeds may instead be given at the top level
 *       as {@code seed} or {@code seeds} (an axis after the grid's); without any, every cell has
 *       seed 0.
 * </ul>
 * Each cell is the run file made of the top-level keys and the cell's axis values (data paths
 * absolute), checked by {@link RunSpec#parse}: a cell that breaks a run-file rule is an error naming
 * the cell and, where it can be told, the line of the key or axis value responsible. Values within
 * an axis must read differently, and every value reads as one word without {@code =}; cells that
 * are the same run (same run id) with different labels are an error, since they would share one
 * run folder.
 *
 * <p><b>Labels.</b> A cell's labels are its axes' values as text in axis order, the seed included;
 * an axis with one value is a label too, so configs read the same when a sweep grows. Its config is
 * the model (first, when it is not an axis) and its labels but the seed ({@code model=bert-tiny
 * method=pl-gate ratio=0.5 learning_rate=1e-4}), its baseline the config without method and ratio ({@code model=bert-tiny learning_rate=1e-4}): the
 * config of the dense cell it is compared with, whose baseline is the same.
 *
 * <p><b>Diagnostics.</b> {@code at}: {@code pruning} (the checkpoints just before and after each
 * pruning event) and/or {@code end} (the final checkpoint), both when not given. {@code every}:
 * also the periodic checkpoints every N steps (a multiple of each cell's checkpoint_every), or every
 * P % of each cell's steps ({@code 10%}, the default: the largest multiple of checkpoint_every not
 * above that share, at least one interval), or {@code none}; a cell's run file then keeps the
 * checkpoints at that interval ({@code keep_every}, which does not change run ids) besides its
 * newest {@code keep_last}. {@code probe_samples} (default 64, at least 2), {@code
 * hutchinson_probes} (default 10; 0 skips the Hessian trace), {@code structures}: structure kinds in
 * lower case (head, expert, filter, neuron) or {@code all} (the default), {@code whole_model}
 * (default true; false skips the whole-model kernel K_rest, which for BERT costs more than every head
 * together).
 *
 * <p><b>Where.</b> {@code device}: cpu (default) or gpu. {@code out}: a local folder, resolved
 * against the sweep file's folder. Object-store URIs such as {@code gs://} or {@code s3://} are
 * refused: the checkpoint store needs a local or mounted shared file system (NFS, a Kubernetes
 * volume).
 *
 * <p>Unknown keys, at any level, are errors with their line and column and the allowed keys.
 *
 * @param cells the runs, in grid order, one per run id
 * @param diagnostics what to diagnose ({@link DiagnosticsPlan#none()} without the block)
 * @param device {@code cpu} or {@code gpu}
 * @param out the output folder, absolute when the sweep file's folder is known; null when not given
 */
public record SweepSpec(List<Cell> cells, DiagnosticsPlan diagnostics, String device, String out) {
  private static final List<String> TOP_KEYS = Stream.concat(RunFile.KEYS.stream(),
      Stream.of("seeds", "grid", "diagnostics", "device", "out")).toList();

  public SweepSpec {
    cells = List.copyOf(cells);
  }

  /**
   * Reads and validates a sweep file; relative paths are resolved against its folder.
   *
   * @throws BadInputException {@code <file>: line N: ...}
   */
  public static SweepSpec load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such sweep file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read the sweep file: " + e.getMessage(), e);
    }
    try {
      return parse(text, file.toAbsolutePath().getParent());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses and validates sweep YAML; relative paths are resolved against {@code base} (left as
   * written when null).
   *
   * @throws IllegalArgumentException {@code line N: <key>: ...}
   */
  public static SweepSpec parse(String yaml, Path base) {
    if (yaml.isBlank()) {
      throw new IllegalArgumentException("the sweep file is empty; it needs at least model, data and steps");
    }
    YamlNode root = YamlNode.read(yaml);
    if (!root.isMap()) {
      throw new IllegalArgumentException("line 1: a sweep file is a map of keys (model, data, steps, grid, ...), got '"
          + root.shown() + "'");
    }
    root.allowOnly(TOP_KEYS);
    YamlNode diagnosticsBlock = root.get("diagnostics");
    DiagnosticsPlan diagnostics = diagnosticsBlock == null ? DiagnosticsPlan.none()
        : DiagnosticsPlan.read(diagnosticsBlock);
    String device = device(root.get("device"));
    String out = out(root.get("out"), base);
    YamlNode every = diagnosticsBlock == null ? null : diagnosticsBlock.get("every");
    List<Cell> cells = Grid.read(root, base).cells(diagnostics.every(), every != null ? every : diagnosticsBlock);
    return new SweepSpec(cells, diagnostics, device, out);
  }

  /** Cells, training steps, and CPU hours at the dev machine's measured speed. */
  public WorkEstimate estimate() {
    return WorkEstimate.of(cells);
  }

  private static String device(YamlNode node) {
    if (node == null) {
      return "cpu";
    }
    if (!node.string().equals("cpu") && !node.string().equals("gpu")) {
      throw node.error("must be cpu or gpu, got '" + node.text() + "'");
    }
    return node.string();
  }

  private static String out(YamlNode node, Path base) {
    if (node == null) {
      return null;
    }
    String out = node.string();
    if (out.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
      throw node.error("'" + out + "' is not a local path: the checkpoint store needs a local or mounted shared file"
          + " system (e.g. NFS, or a Kubernetes volume); mount the store and give its path");
    }
    Path path = base == null ? Path.of(out) : base.resolve(out);
    return path.normalize().toString();
  }
}
