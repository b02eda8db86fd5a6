package dev.polyak.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.polyak.BadInputException;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.read.ShardSet;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.io.FileTrees;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.sweep.Cell;
import dev.polyak.sweep.SweepSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The paper's experiments as shipped with polyak: each is a sweep file per {@link Scale} (with the
 * claims it tests), a resource under {@code dev/polyak/experiments/<name>/<scale>.yaml}, listed
 * with its title and the data sets it reads in {@code dev/polyak/experiments/experiments.yaml}. A
 * sweep file's relative data paths are read against a root folder (the current folder by default),
 * as if the file were saved there.
 */
public final class Experiments {
  private static final String FOLDER = "/dev/polyak/experiments/";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Experiments() {}

  /** How much of the paper's protocol an experiment runs. */
  public enum Scale {
    /** About a minute on generated data, for CI. */
    SMOKE,
    /** The same protocol shrunk to about an hour on a 2-core CPU, on genuine data. */
    REDUCED,
    /** As published: the paper's models, data, schedules and budgets (GPUs, hours). */
    PAPER;

    /** The scale as the command line and the resource files name it. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A shipped experiment.
   *
   * @param name what {@code polyak experiment run NAME} takes
   * @param title the paper's result it replicates, in one line
   */
  public record Experiment(String name, String title) {}

  /**
   * How a data set an experiment reads is made.
   *
   * @param folder the shard folder, relative to the root, as the sweep files give it
   * @param prepare the commands that prepare it (download and preprocess), empty when generated
   * @param generated {@code wikitext}, {@code cifar10} or {@code cifar100} for data that polyak
   *     generates itself (smoke scale), empty for genuine data
   */
  public record Dataset(String folder, String prepare, Optional<String> generated) {}

  /** Every shipped experiment, in the paper's order. */
  public static List<Experiment> list() {
    List<Experiment> list = new ArrayList<>();
    index()
        .get("experiments")
        .fields()
        .forEachRemaining(e -> list.add(new Experiment(e.getKey(), e.getValue().asText())));
    return List.copyOf(list);
  }

  /** Every data set the shipped experiments read, by folder. */
  public static Map<String, Dataset> datasets() {
    Map<String, Dataset> datasets = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = index().get("datasets").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode generated = e.getValue().get("generated");
      JsonNode prepare = e.getValue().get("prepare");
      datasets.put(
          e.getKey(),
          new Dataset(
              e.getKey(),
              prepare == null ? "" : prepare.asText(),
              Optional.ofNullable(generated).map(JsonNode::asText)));
    }
    return datasets;
  }

  /** The scale named {@code id} ({@code smoke}, {@code reduced}, {@code paper}). */
  public static Scale scale(String id) {
    for (Scale scale : Scale.values()) {
      if (scale.id().equals(id)) {
        return scale;
      }
    }
    throw new BadInputException("--scale: unknown scale '" + id + "'; use smoke, reduced or paper");
  }

  /**
   * The sweep file of {@code name} at {@code scale}, as shipped.
   *
   * @throws BadInputException for an experiment that is not shipped, naming the ones that are
   */
  public static String sweepFile(String name, Scale scale) {
    if (list().stream().noneMatch(e -> e.name().equals(name))) {
      throw new BadInputException(
          "no experiment '"
              + name
              + "'; polyak ships "
              + String.join(", ", list().stream().map(Experiment::name).toList())
              + " (polyak experiment list)");
    }
    return resource(name + "/" + scale.id() + ".yaml");
  }

  /**
   * The sweep file of {@code name} at {@code scale} with early stopping: ASHA on {@code signal} at
   * the rungs the index ships for it ({@code early_stopping:} in experiments.yaml), and without the
   * shipped claims. Those compare the final metric of every seed (Table 14's spread across
   * initialisations), which early stopping does not train to the end; the runs of the shipped file
   * (the same cells) answer them, and this variant's report is compared with them ({@code polyak
   * report --full-sweep}).
   *
   * @throws BadInputException for an experiment that offers no early stopping, naming those that do
   */
  public static String earlyStoppingFile(String name, Scale scale, String signal) {
    String text = sweepFile(name, scale);
    JsonNode offered = index().get("early_stopping");
    JsonNode rungs = offered == null ? null : offered.path(name).get(scale.id());
    if (rungs == null) {
      List<String> names = new ArrayList<>();
      if (offered != null) {
        offered.fieldNames().forEachRemaining(names::add);
      }
      throw new BadInputException(
          "--early-stopping: experiment "
              + name
              + " offers no early stopping; "
              + (names.isEmpty() ? "none does" : String.join(", ", names) + " does"));
    }
    int claims = text.indexOf("\nclaims:\n");
    String kept = claims < 0 ? text : text.substring(0, claims + 1);
    return kept
        + "# Early stopping (polyak experiment run --early-stopping "
        + signal
        + "): the shipped claims are left out, as they\n"
        + "# compare every seed's final metric; the same cells run to the end answer them.\n"
        + "early_stopping: {rule: asha, signal: "
        + signal
        + ", rungs: "
        + rungs
        + ", reduction: 3}\n";
  }

  /**
   * The sweep of {@code name} at {@code scale}, its relative data paths read against {@code root}.
   */
  public static SweepSpec sweep(String name, Scale scale, Path root) {
    return sweep(sweepFile(name, scale), name, scale, root);
  }

  /**
   * The sweep {@code text} of {@code name} at {@code scale} (as shipped or with early stopping),
   * its relative data paths read against {@code root}.
   */
  public static SweepSpec sweep(String text, String name, Scale scale, Path root) {
    try {
      return SweepSpec.parse(text, root.toAbsolutePath().normalize());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "the shipped experiment " + name + " (" + scale.id() + ") does not parse: " + e, e);
    }
  }

  /** The distinct data folders of {@code sweep}'s cells, as their folders under {@code root}. */
  public static List<Dataset> datasetsOf(SweepSpec sweep, Path root) {
    Path base = root.toAbsolutePath().normalize();
    Map<String, Dataset> known = datasets();
    Set<Dataset> used = new LinkedHashSet<>();
    for (Cell cell : sweep.cells()) {
      Path data = cell.spec().data();
      String relative = base.relativize(data).toString().replace('\\', '/');
      Dataset dataset = known.get(relative);
      used.add(dataset != null ? dataset : new Dataset(relative, "", Optional.empty()));
    }
    return List.copyOf(used);
  }

  /**
   * Whether {@code dataset}'s shards are under {@code root} (a manifest in its folder).
   *
   * @return empty when they are, else the one-line reason naming the folder and how to prepare it
   */
  public static Optional<String> missing(Dataset dataset, Path root) {
    Path folder = root.resolve(dataset.folder()).toAbsolutePath().normalize();
    if (Files.isRegularFile(folder.resolve("manifest.json"))) {
      return Optional.empty();
    }
    return Optional.of(
        "the shards "
            + folder
            + " are missing"
            + (dataset.generated().isPresent()
                ? " (generated on the first run)"
                : dataset.prepare().isEmpty()
                    ? ""
                    : "; prepare them (from "
                        + root.toAbsolutePath().normalize()
                        + ") with: "
                        + dataset.prepare()));
  }

  /**
   * Makes sure every data set of {@code sweep} is under {@code root} before anything trains:
   * generates the generated ones that are missing (deterministically, seed 1), and refuses the
   * first missing genuine one, naming the command that prepares it.
   *
   * @throws BadInputException for a missing genuine data set (exit code 2 on the command line)
   */
  public static void prepare(
      SweepSpec sweep, Path root, RunnerSettings runner, java.io.PrintWriter console) {
    for (Dataset dataset : datasetsOf(sweep, root)) {
      Optional<String> missing = missing(dataset, root);
      if (missing.isEmpty()) {
        ShardSet.open(root.resolve(dataset.folder()).toAbsolutePath().normalize());
      } else if (dataset.generated().isPresent()) {
        console.printf("generating %s under %s%n", dataset.generated().get(), dataset.folder());
        console.flush();
        generate(dataset.generated().get(), root.resolve(dataset.folder()), runner);
      } else {
        throw new BadInputException(missing.get());
      }
    }
  }

  /**
   * Generated data as the quickstart makes it: a small WikiText-layout corpus or CIFAR-format image
   * set (seed 1), preprocessed into {@code shards}; the raw files go to {@code shards}'s sibling
   * {@code <name>-raw}.
   */
  static void generate(String kind, Path shards, RunnerSettings runner) {
    Path raw = shards.resolveSibling(shards.getFileName() + "-raw");
    try {
      FileTrees.deleteRecursively(raw);
      FileTrees.deleteRecursively(shards);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot replace " + shards, e);
    }
    switch (kind) {
      case "wikitext" -> {
        new SyntheticWikiText(2000).write(raw, 1, 40, 4, 4);
        PreprocessPipeline.run(
            new PreprocessPipeline.WikiTextJob(
                raw, shards, WikiTextConfig.defaults().withRowsPerShard(100), true),
            runner.toPipelineOptions("polyak-experiment-data"));
      }
      case "cifar10", "cifar100" -> {
        SyntheticCifar.write(raw, CifarVariant.fromId(kind), 1, 32);
        PreprocessPipeline.run(
            new PreprocessPipeline.CifarJob(
                raw, shards, Optional.empty(), new CifarConfig(1000, 0), true),
            runner.toPipelineOptions("polyak-experiment-data"));
      }
      default -> throw new IllegalStateException("no generator for " + kind);
    }
  }

  private static JsonNode index() {
    try {
      return YAML.readTree(resource("experiments.yaml"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the experiments' index", e);
    }
  }

  private static String resource(String path) {
    try (InputStream in = Experiments.class.getResourceAsStream(FOLDER + path)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + FOLDER + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + FOLDER + path, e);
    }
  }
}
