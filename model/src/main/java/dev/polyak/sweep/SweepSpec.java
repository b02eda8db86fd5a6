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
 * A sweep, as a user writes it in {@code sweep.yaml}: a grid of training runs (every combination of
 * the axes' values is a cell, a run file checked by {@link RunSpec#parse}), the diagnostics to
 * compute on them, and where they run. The whole file is validated, and every cell expanded, before
 * anything runs; an error names the line of the key or axis value responsible. Cells that are the
 * same run under different labels are an error, since they would share one run folder.
 *
 * <p>The file's keys, axes, labels and cadences: docs/design/sweep-file.md.
 *
 * @param cells the runs, in grid order, one per run id
 * @param diagnostics what to diagnose ({@link DiagnosticsPlan#none()} without the block)
 * @param device {@code cpu} or {@code gpu}
 * @param out the output folder, absolute when the sweep file's folder is known; null when not given
 * @param claims the claims the sweep tests ({@link Claims}; empty without the block)
 * @param earlyStopping the {@code early_stopping:} block ({@link EarlyStopping#none()} without it)
 */
public record SweepSpec(
    List<Cell> cells,
    DiagnosticsPlan diagnostics,
    String device,
    String out,
    List<Claim> claims,
    EarlyStopping earlyStopping) {
  private static final List<String> TOP_KEYS =
      Stream.concat(
              RunFile.KEYS.stream(),
              Stream.of(
                  "seeds", "grid", "diagnostics", "device", "out", "claims", "early_stopping"))
          .toList();

  public SweepSpec {
    cells = List.copyOf(cells);
    claims = List.copyOf(claims);
  }

  /** A sweep without claims and without early stopping. */
  public SweepSpec(List<Cell> cells, DiagnosticsPlan diagnostics, String device, String out) {
    this(cells, diagnostics, device, out, List.of(), EarlyStopping.none());
  }

  /** A sweep testing {@code claims}, without early stopping. */
  public SweepSpec(
      List<Cell> cells,
      DiagnosticsPlan diagnostics,
      String device,
      String out,
      List<Claim> claims) {
    this(cells, diagnostics, device, out, claims, EarlyStopping.none());
  }

  /** A sweep without claims, with {@code earlyStopping}. */
  public SweepSpec(
      List<Cell> cells,
      DiagnosticsPlan diagnostics,
      String device,
      String out,
      EarlyStopping earlyStopping) {
    this(cells, diagnostics, device, out, List.of(), earlyStopping);
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
      throw new IllegalArgumentException(
          "the sweep file is empty; it needs at least model, data and steps");
    }
    YamlNode root = YamlNode.read(yaml);
    if (!root.isMap()) {
      throw new IllegalArgumentException(
          "line 1: a sweep file is a map of keys (model, data, steps, grid, ...), got '"
              + root.shown()
              + "'");
    }
    root.allowOnly(TOP_KEYS);
    YamlNode diagnosticsBlock = root.get("diagnostics");
    DiagnosticsPlan diagnostics =
        diagnosticsBlock == null ? DiagnosticsPlan.none() : DiagnosticsPlan.read(diagnosticsBlock);
    String device = device(root.get("device"));
    String out = out(root.get("out"), base);
    YamlNode every = diagnosticsBlock == null ? null : diagnosticsBlock.get("every");
    List<Cell> cells =
        Grid.read(root, base).cells(diagnostics.every(), every != null ? every : diagnosticsBlock);
    List<Claim> claims = Claims.read(root.get("claims"), cells);
    YamlNode stoppingBlock = root.get("early_stopping");
    EarlyStopping earlyStopping =
        stoppingBlock == null ? EarlyStopping.none() : EarlyStopping.read(stoppingBlock);
    if (stoppingBlock != null) {
      earlyStopping.check(cells, stoppingBlock);
    }
    return new SweepSpec(cells, diagnostics, device, out, claims, earlyStopping);
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
      throw node.error(
          "'"
              + out
              + "' is not a local path: the checkpoint store needs a local or mounted shared file"
              + " system (e.g. NFS, or a Kubernetes volume); mount the store and give its path");
    }
    Path path = base == null ? Path.of(out) : base.resolve(out);
    return path.normalize().toString();
  }
}
