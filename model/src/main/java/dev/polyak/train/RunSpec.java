package dev.polyak.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.polyak.BadInputException;
import dev.polyak.RunFileException;
import dev.polyak.io.Digests;
import dev.polyak.prune.PruningSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One training run, as a user writes it in {@code run.yaml}: the model preset and its size
 * overrides, the shard set, and the training config. Unset fields take the recipe of the model's
 * family (BERT's AdamW recipe for transformers, the paper's SGD recipe for CNNs). The run's
 * identity, {@link #runId()}, is a hash of the canonical JSON of everything that decides the
 * trajectory; where the results go and how many threads compute them are not part of it.
 *
 * @param model preset name: {@code mlp}, {@code bert-tiny}, {@code bert-small}, {@code bert-base}
 * @param modelOptions size overrides of the preset (e.g. {@code hidden: 64}); keys depend on the
 *     family
 * @param data the shard-set folder written by {@code polyak preprocess}
 * @param trainSplit the split trained on
 * @param evalSplit the held-out split
 * @param training optimizer, schedule, steps, batch and evaluation cadence
 * @param checkpointEvery steps between checkpoints (a multiple of the evaluation interval)
 * @param keepLast periodic checkpoints kept (pruning checkpoints are always kept)
 * @param keepEvery periodic checkpoints at multiples of this many steps are kept as well, whatever
 *     their age (0 = none; a multiple of checkpoint_every): a sweep's periodic diagnostics read
 *     them
 * @param pruning the {@code pruning:} block (dense when absent)
 */
public record RunSpec(
    String model,
    Map<String, Integer> modelOptions,
    Path data,
    String trainSplit,
    String evalSplit,
    TrainingConfig training,
    long checkpointEvery,
    int keepLast,
    long keepEvery,
    PruningSpec pruning) {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  public RunSpec {
    modelOptions = Map.copyOf(new TreeMap<>(modelOptions));
    if (checkpointEvery < 1 || checkpointEvery % training.evalEvery() != 0) {
      throw new RunFileException(
          "checkpoint_every",
          "checkpoint_every must be a positive multiple of eval_every ("
              + training.evalEvery()
              + "), got "
              + checkpointEvery);
    }
    if (keepLast < 1) {
      throw new RunFileException("keep_last", "keep_last must be at least 1, got " + keepLast);
    }
    if (keepEvery < 0 || keepEvery % checkpointEvery != 0) {
      throw new RunFileException(
          "keep_every",
          "keep_every must be 0 (none) or a positive multiple of"
              + " checkpoint_every ("
              + checkpointEvery
              + "), got "
              + keepEvery);
    }
  }

  /**
   * The same run keeping also the checkpoints at multiples of {@code steps} (not part of the run
   * id).
   */
  public RunSpec withKeepEvery(long steps) {
    return new RunSpec(
        model,
        modelOptions,
        data,
        trainSplit,
        evalSplit,
        training,
        checkpointEvery,
        keepLast,
        steps,
        pruning);
  }

  /** The family of a preset name decides the task and the default recipe. */
  public ModelFamily family() {
    return ModelFamily.of(model);
  }

  /** The fields of {@code run.yaml}, as written (null = not set). */
  private record File(
      @JsonProperty(value = "model", required = true) String model,
      @JsonProperty("model_options") Map<String, Integer> modelOptions,
      @JsonProperty(value = "data", required = true) String data,
      @JsonProperty("train_split") String trainSplit,
      @JsonProperty("eval_split") String evalSplit,
      @JsonProperty("seed") Long seed,
      @JsonProperty(value = "steps", required = true) Long steps,
      @JsonProperty("batch_size") Integer batchSize,
      @JsonProperty("optimizer") String optimizer,
      @JsonProperty("learning_rate") Double learningRate,
      @JsonProperty("schedule") String schedule,
      @JsonProperty("warmup_steps") Long warmupSteps,
      @JsonProperty("weight_decay") Double weightDecay,
      @JsonProperty("momentum") Double momentum,
      @JsonProperty("max_gradient_norm") Double maxGradientNorm,
      @JsonProperty("eval_every") Long evalEvery,
      @JsonProperty("eval_samples") Integer evalSamples,
      @JsonProperty("checkpoint_every") Long checkpointEvery,
      @JsonProperty("keep_last") Integer keepLast,
      @JsonProperty("keep_every") Long keepEvery,
      @JsonProperty("pruning") PruningSpec.File pruning) {}

  /**
   * Reads and validates a run file. Relative {@code data} paths are resolved against the file's
   * folder. Every error names the file, and where the YAML parser knows it, the line and column.
   */
  public static RunSpec load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such run file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read the run file: " + e.getMessage());
    }
    Path base = file.toAbsolutePath().getParent();
    try {
      return parse(text, base);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": " + e.getMessage());
    }
  }

  /** Parses YAML text; relative data paths are resolved against {@code base}. */
  public static RunSpec parse(String yaml, Path base) {
    if (yaml.isBlank()) {
      throw new IllegalArgumentException(
          "the run file is empty; it needs at least model, data and steps");
    }
    Map<String, Integer> keyLines = keyLines(yaml);
    File f;
    try {
      f = YAML.readValue(yaml, File.class);
    } catch (UnrecognizedPropertyException e) {
      String known =
          e.getKnownPropertyIds().stream()
              .map(Object::toString)
              .sorted()
              .collect(Collectors.joining(", "));
      throw new RunFileException(
          keyOf(e),
          where(keyLines, e.getPropertyName(), e.getLocation()),
          "unknown key '" + e.getPropertyName() + "'; allowed keys: " + known);
    } catch (JsonMappingException e) {
      String key = e.getPath().isEmpty() ? null : e.getPath().get(0).getFieldName();
      String path =
          e.getPath().stream()
              .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
              .collect(Collectors.joining("."));
      throw new RunFileException(
          keyOf(e),
          where(keyLines, key, e.getLocation()),
          (path.isEmpty() ? "" : "'" + path + "': ")
              + e.getOriginalMessage()
                  .replaceAll(" \\(class [^)]*\\)", "")
                  .replaceAll("\\s+at \\[.*", ""));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          where(Map.of(), null, e.getLocation()) + "not valid YAML: " + e.getOriginalMessage());
    }
    ModelFamily family = ModelFamily.of(f.model());
    long steps = f.steps();
    int batch = or(f.batchSize(), family.transformer() ? 16 : 64);
    TrainingConfig recipe =
        family.transformer()
            ? TrainingConfig.transformer(0, steps, batch, family.learningRate())
            : TrainingConfig.cnn(0, steps, batch).withLearningRate(family.learningRate(), 0);
    TrainingConfig training =
        new TrainingConfig(
            or(f.seed(), 0L),
            steps,
            batch,
            f.optimizer() == null
                ? recipe.optimizer()
                : enumValue(TrainingConfig.OptimizerKind.class, "optimizer", f.optimizer()),
            or(f.learningRate(), recipe.learningRate()),
            f.schedule() == null
                ? recipe.schedule()
                : enumValue(TrainingConfig.Schedule.class, "schedule", f.schedule()),
            or(f.warmupSteps(), recipe.warmupSteps()),
            or(f.weightDecay(), recipe.weightDecay()),
            or(f.momentum(), recipe.momentum()),
            or(f.maxGradientNorm(), recipe.maxGradientNorm()),
            or(f.evalEvery(), recipe.evalEvery()),
            or(f.evalSamples(), recipe.evalSamples()));
    Path data = base == null ? Path.of(f.data()) : base.resolve(f.data()).normalize();
    String trainSplit = or(f.trainSplit(), "train");
    String evalSplit = or(f.evalSplit(), family.transformer() ? "valid" : "test");
    Map<String, Integer> options = f.modelOptions() == null ? Map.of() : f.modelOptions();
    family.checkOptions(options);
    PruningSpec pruning =
        f.pruning() == null
            ? PruningSpec.dense()
            : PruningSpec.of(f.pruning(), family.structureKinds(), f.model());
    return new RunSpec(
        f.model(),
        options,
        data,
        trainSplit,
        evalSplit,
        training,
        or(f.checkpointEvery(), training.evalEvery()),
        or(f.keepLast(), 3),
        or(f.keepEvery(), 0L),
        pruning);
  }

  /**
   * The line of each top-level key, read from the tokens (a mapping error's own location is after
   * the value).
   */
  private static Map<String, Integer> keyLines(String yaml) {
    Map<String, Integer> lines = new java.util.HashMap<>();
    try (JsonParser parser = YAML.getFactory().createParser(yaml)) {
      int depth = 0;
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (token.isStructStart()) {
          depth++;
        } else if (token.isStructEnd()) {
          depth--;
        } else if (token == JsonToken.FIELD_NAME && depth == 1) {
          lines.putIfAbsent(parser.currentName(), parser.getTokenLocation().getLineNr());
        }
      }
    } catch (IOException e) {
      // Not valid YAML: the mapper reports it with its location.
    }
    return lines;
  }

  /**
   * The dotted run-file key of a mapping error's field ({@code pruning.step}), list indexes left
   * out.
   */
  private static String keyOf(JsonMappingException e) {
    return e.getPath().stream()
        .map(JsonMappingException.Reference::getFieldName)
        .filter(java.util.Objects::nonNull)
        .collect(Collectors.joining("."));
  }

  private static String where(Map<String, Integer> keyLines, String key, JsonLocation location) {
    if (key != null && keyLines.containsKey(key)) {
      return "line " + keyLines.get(key) + ": ";
    }
    return location == null || location.getLineNr() < 1
        ? ""
        : "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String field, String value) {
    return dev.polyak.EnumIds.find(type, value.trim().toLowerCase(Locale.ROOT).replace('_', '-'))
        .orElseThrow(
            () ->
                new RunFileException(
                    field,
                    field
                        + " must be one of "
                        + dev.polyak.EnumIds.allowed(type)
                        + ", got '"
                        + value
                        + "'"));
  }

  /** The canonical JSON of the fields that decide the trajectory (sorted keys, no paths). */
  public String canonicalJson() {
    Map<String, Object> fields = new TreeMap<>();
    fields.put("model", model);
    fields.put("model_options", new TreeMap<>(modelOptions));
    fields.put("train_split", trainSplit);
    fields.put("eval_split", evalSplit);
    TrainingConfig t = training;
    fields.put("seed", t.seed());
    fields.put("steps", t.steps());
    fields.put("batch_size", t.batchSize());
    fields.put("optimizer", t.optimizer().name().toLowerCase(Locale.ROOT));
    fields.put("learning_rate", t.learningRate());
    fields.put("schedule", t.schedule().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    fields.put("warmup_steps", t.warmupSteps());
    fields.put("weight_decay", t.weightDecay());
    fields.put("momentum", t.momentum());
    fields.put("max_gradient_norm", t.maxGradientNorm());
    fields.put("eval_every", t.evalEvery());
    fields.put("eval_samples", t.evalSamples());
    if (pruning.prunes()) {
      fields.put("pruning", pruning.canonical());
    }
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The run's stable identity: the first 16 hex digits of SHA-256 over {@link #canonicalJson()}.
   * The shard set is identified by content, not path: the trainer checks the manifest's hashes.
   */
  public String runId() {
    byte[] digest = Digests.sha256().digest(canonicalJson().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 8);
  }
}
