package dev.polyak.sweep;

import dev.polyak.BadInputException;
import dev.polyak.RunFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A sweep file's {@code claims:} block: a list of {@link Claim}s, each checked key by key and, when
 * the cells are known, against them: every selector names grid axes and values some cell has, and
 * the pairing of config and against cells is one to one. Errors are {@link RunFileException}s whose
 * key is the claim's path ({@code claims[1].config.method}) and whose message starts with its line.
 */
public final class Claims {
  /** The name of the copy of the sweep file a sweep keeps in its folder, claims included. */
  public static final String SWEEP_FILE = "sweep.yaml";

  private static final List<String> KEYS =
      List.of("id", "text", "statistic", "config", "against", "direction", "paper");
  private static final List<String> REQUIRED =
      List.of("id", "text", "statistic", "config", "against", "direction");
  private static final Pattern AT_STEP = Pattern.compile("metric_at_step:(\\d+)");

  private Claims() {}

  /**
   * The claims of the sweep file kept in {@code sweepFolder} ({@link #SWEEP_FILE}), checked key by
   * key (their selectors were checked against the cells when the sweep started); empty when the
   * folder has no sweep file or the file no claims.
   *
   * @throws BadInputException naming the file when it cannot be read or a claim is malformed
   */
  public static List<Claim> ofSweepFolder(Path sweepFolder) {
    Path file = sweepFolder.resolve(SWEEP_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try {
      YamlNode root = YamlNode.read(Files.readString(file, StandardCharsets.UTF_8));
      return root.isMap() ? read(root.get("claims"), null) : List.of();
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read the sweep file: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The claims of {@code block} (none when null), checked against {@code cells} when given.
   *
   * @throws RunFileException naming the claim's key and line
   */
  static List<Claim> read(YamlNode block, List<Cell> cells) {
    if (block == null) {
      return List.of();
    }
    if (!block.isList()) {
      throw fail(block, "must be a list of claims (- id: ..., statistic: ..., config: ...)");
    }
    List<Claim> claims = new ArrayList<>();
    Map<String, YamlNode> ids = new HashMap<>();
    for (YamlNode node : block.list()) {
      Claim claim = claim(node, cells);
      YamlNode first = ids.putIfAbsent(claim.id(), node.get("id"));
      if (first != null) {
        throw fail(
            node.get("id"),
            "'" + claim.id() + "' is already the id of the claim on line " + first.line());
      }
      claims.add(claim);
    }
    return List.copyOf(claims);
  }

  private static Claim claim(YamlNode node, List<Cell> cells) {
    if (!node.isMap()) {
      throw fail(
          node, "a claim is a map of " + String.join(", ", KEYS) + ", got '" + node.shown() + "'");
    }
    for (YamlNode field : node.map().values()) {
      String key = field.path().substring(node.path().length() + 1);
      if (!KEYS.contains(key)) {
        throw fail(field, "unknown key; a claim's keys: " + String.join(", ", KEYS));
      }
    }
    for (String key : REQUIRED) {
      if (node.get(key) == null) {
        throw fail(
            node, "a claim needs " + String.join(", ", REQUIRED) + "; " + key + " is missing");
      }
    }
    String id = text(node.get("id"));
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw fail(node.get("id"), "'" + id + "' is not one word of letters, digits, '.', '_', '-'");
    }
    YamlNode statisticNode = node.get("statistic");
    String statisticText = text(statisticNode);
    Claim.Statistic statistic = null;
    long step = -1;
    Matcher atStep = AT_STEP.matcher(statisticText);
    if (atStep.matches()) {
      statistic = Claim.Statistic.METRIC_AT_STEP;
      try {
        step = Long.parseLong(atStep.group(1));
      } catch (NumberFormatException e) {
        throw fail(statisticNode, "'" + statisticText + "': the step is too large");
      }
    } else {
      for (Claim.Statistic s : Claim.Statistic.values()) {
        if (s != Claim.Statistic.METRIC_AT_STEP && s.id().equals(statisticText)) {
          statistic = s;
        }
      }
    }
    if (statistic == null) {
      throw fail(
          statisticNode,
          "unknown statistic '"
              + statisticText
              + "'; one of "
              + Arrays.stream(Claim.Statistic.values())
                  .map(s -> s == Claim.Statistic.METRIC_AT_STEP ? s.id() + ":N" : s.id())
                  .collect(Collectors.joining(", ")));
    }
    YamlNode directionNode = node.get("direction");
    String directionText = text(directionNode);
    Claim.Direction direction =
        Arrays.stream(Claim.Direction.values())
            .filter(d -> d.id().equals(directionText))
            .findFirst()
            .orElseThrow(
                () -> fail(directionNode, "must be lower or higher, got '" + directionText + "'"));
    Claim claim =
        new Claim(
            id,
            text(node.get("text")),
            statistic,
            step,
            selector(node.get("config")),
            selector(node.get("against")),
            direction,
            node.get("paper") == null ? null : text(node.get("paper")));
    if (cells != null) {
      check(claim, node, cells);
    }
    return claim;
  }

  /** A selector: a non-empty map of axis → value, values as written. */
  private static Map<String, String> selector(YamlNode node) {
    if (!node.isMap() || node.map().isEmpty()) {
      throw fail(node, "must be a map of grid axis to value, e.g. {method: pl-gate, ratio: 0.5}");
    }
    Map<String, String> selector = new LinkedHashMap<>();
    node.map().forEach((axis, value) -> selector.put(axis, text(value)));
    return selector;
  }

  /** Checks the selectors and the pairing of {@code claim} (written at {@code node}) on cells. */
  private static void check(Claim claim, YamlNode node, List<Cell> cells) {
    Map<String, Set<String>> values = new LinkedHashMap<>();
    for (Cell cell : cells) {
      cell.labels()
          .forEach(
              (axis, value) -> {
                if (!axis.equals("seed")) {
                  values.computeIfAbsent(axis, a -> new TreeSet<>()).add(value);
                }
              });
    }
    for (String side : List.of("config", "against")) {
      YamlNode selectorNode = node.get(side);
      for (Map.Entry<String, YamlNode> e : selectorNode.map().entrySet()) {
        String axis = e.getKey();
        if (axis.equals("seed")) {
          throw fail(e.getValue(), "a claim pairs runs by seed; a selector cannot name the seed");
        }
        if (!values.containsKey(axis)) {
          throw fail(
              e.getValue(),
              "'"
                  + axis
                  + "' is not an axis of the grid; its axes: "
                  + String.join(", ", values.keySet()));
        }
        String value = e.getValue().text();
        if (!values.get(axis).contains(value)) {
          throw fail(
              e.getValue(),
              "no cell has "
                  + axis
                  + "="
                  + value
                  + "; the values of "
                  + axis
                  + ": "
                  + String.join(", ", values.get(axis)));
        }
      }
    }
    List<Cell> mine = cells.stream().filter(c -> claim.inConfig(c.labels())).toList();
    List<Cell> theirs = cells.stream().filter(c -> claim.inAgainst(c.labels())).toList();
    for (String side : List.of("config", "against")) {
      List<Cell> selected = side.equals("config") ? mine : theirs;
      Map<String, String> selector = side.equals("config") ? claim.config() : claim.against();
      if (selected.isEmpty()) {
        throw fail(
            node.get(side),
            "no cell has "
                + Claim.words(selector)
                + (selector.containsKey("ratio") && "dense".equals(selector.get("method"))
                    ? " (dense cells have no ratio)"
                    : ""));
      }
      Set<String> configs = selected.stream().map(Cell::config).collect(Collectors.toSet());
      if (claim.statistic() == Claim.Statistic.SEED_SPREAD && configs.size() > 1) {
        throw fail(
            node.get(side),
            "seed_spread compares the spread across seeds of one config, but "
                + Claim.words(selector)
                + " selects "
                + configs.size()
                + " ("
                + String.join("; ", new TreeSet<>(configs))
                + "): name the axes that tell them apart");
      }
    }
    for (Cell cell : mine) {
      if (claim.inAgainst(cell.labels())) {
        throw fail(
            node.get("against"),
            "selects cell " + Claim.words(cell.labels()) + " that config selects too");
      }
    }
    Set<String> used = new HashSet<>();
    Map<String, Cell> partnerOf = new HashMap<>();
    for (Cell cell : mine) {
      List<Cell> partners =
          theirs.stream().filter(t -> claim.paired(cell.labels(), t.labels())).toList();
      if (partners.size() != 1) {
        throw fail(
            node.get("against"),
            "config cell "
                + Claim.words(cell.labels())
                + (partners.isEmpty()
                    ? " has no cell to be compared with (the same seed and the same value of every"
                        + " axis neither selector names)"
                    : " would be compared with "
                        + partners.size()
                        + " cells ("
                        + partners.stream()
                            .map(p -> Claim.words(p.labels()))
                            .collect(Collectors.joining("; "))
                        + "): name the axes that tell them apart"));
      }
      Cell partner = partners.get(0);
      if (!used.add(partner.runId())) {
        throw fail(
            node.get("config"),
            "cell "
                + Claim.words(partner.labels())
                + " would be compared with both "
                + Claim.words(partnerOf.get(partner.runId()).labels())
                + " and "
                + Claim.words(cell.labels())
                + ": name the axes that tell them apart (pairs must not share a run)");
      }
      partnerOf.put(partner.runId(), cell);
    }
  }

  /** A scalar's text as written. */
  private static String text(YamlNode node) {
    if (node.isList() || node.isMap() || node.scalar() == null) {
      throw fail(node, "must be text, got '" + node.shown() + "'");
    }
    return node.text();
  }

  private static RunFileException fail(YamlNode node, String detail) {
    return new RunFileException(
        node.path(), "line " + node.line() + ": ", node.path() + ": " + detail);
  }
}
