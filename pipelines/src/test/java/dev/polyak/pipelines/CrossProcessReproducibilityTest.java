package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same input gives the same bytes (sha256 of every shard, vocab.txt and manifest.json) in
 * separate processes, as a user who runs {@code polyak preprocess} twice, or on two machines, sees
 * it. Each run is {@code PolyakCli}'s main in a JVM of its own (this test's java and class path),
 * and the JVMs differ in what may differ between processes and machines: identity hash codes
 * ({@code -XX:hashCode}: the order of a HashSet of enum constants follows them), the per-process
 * seed of {@code Map.of} iteration order (new in every JVM), the default locale (Turkish
 * lower-cases {@code I} to a dotless {@code ı}; Arabic formats digits as {@code ٠١٢}), time zone,
 * default charset, and runner. ReproducibilityTest compares runners within one JVM, where hash
 * codes and those seeds are shared, so it could not see a difference of this kind.
 */
class CrossProcessReproducibilityTest {
  /** One JVM configuration and runner: its name, JVM options and runner options. */
  private record Variant(String name, List<String> jvmOptions, List<String> runnerOptions) {}

  private static final List<Variant> VARIANTS =
      List.of(
          new Variant(
              "default", List.of(), List.of("--runner", "DirectRunner", "--parallelism", "2")),
          new Variant(
              "hash2-tr-flink",
              PolyakProcess.UNUSUAL_JVM,
              List.of("--runner", "FlinkRunner", "--parallelism", "2")),
          new Variant(
              "hash3-ar",
              List.of(
                  "-XX:+UnlockExperimentalVMOptions",
                  "-XX:hashCode=3",
                  "-Duser.language=ar",
                  "-Duser.country=SA",
                  "-Duser.timezone=America/St_Johns"),
              List.of("--runner", "DirectRunner", "--parallelism", "1")));

  @TempDir static Path dir;
  static Path text;
  static Path images;

  @BeforeAll
  static void generate() throws IOException {
    // The {split}.txt layout (shared/data's), so the manifest's layout name is "plain": an "I" to
    // lower-case.
    Path tokens = dir.resolve("tokens");
    new SyntheticWikiText(2000).write(tokens, 5, 20, 4, 4);
    text = Files.createDirectories(dir.resolve("text"));
    for (String split : WikiTextLayout.SPLITS) {
      Files.move(
          tokens.resolve(WikiTextLayout.TOKENS.fileName(split)),
          text.resolve(WikiTextLayout.PLAIN.fileName(split)));
    }
    // Tokens outside ASCII, so that vocab.txt and the shards would show a default charset used
    // anywhere.
    Files.writeString(
        text.resolve(WikiTextLayout.PLAIN.fileName("train")),
        " Zürich , São Paulo and İstanbul are cities ; 東京 too . \n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    images = dir.resolve("images");
    SyntheticCifar.write(images, CifarVariant.CIFAR10, 3, 50);
  }

  @Test
  void wikitextShardsVocabularyAndManifestAreTheSameInEveryProcess() throws Exception {
    Map<String, Map<String, String>> outputs =
        runEverywhere(
            "wikitext",
            List.of(
                "preprocess",
                "wikitext",
                "--input",
                text.toString(),
                "--seq-len",
                "32",
                "--rows-per-shard",
                "40",
                "--chunk-mb",
                "1"));
    Map<String, String> reference = outputs.get("default");
    assertThat(reference)
        .containsKeys("manifest.json", "vocab.txt", "valid-00000-of-00001.parquet");
    assertThat(reference.keySet())
        .filteredOn(name -> name.startsWith("train-"))
        .hasSizeGreaterThan(2);
    assertThat(Files.readString(dir.resolve("wikitext-default/manifest.json")))
        .contains("\"layout\" : \"plain\"");
    assertThat(outputs)
        .allSatisfy((variant, files) -> assertThat(files).as(variant).isEqualTo(reference));
  }

  @Test
  void cifarShardsAndManifestAreTheSameInEveryProcess() throws Exception {
    Map<String, Map<String, String>> outputs =
        runEverywhere(
            "cifar",
            List.of("preprocess", "cifar", "--input", images.toString(), "--rows-per-shard", "64"));
    Map<String, String> reference = outputs.get("default");
    // 5 files x 50 = 250 train images at 64 per shard: 4 shards; 50 test images: 1.
    assertThat(reference.keySet())
        .containsExactlyInAnyOrder(
            "manifest.json",
            "train-00000-of-00004.parquet",
            "train-00001-of-00004.parquet",
            "train-00002-of-00004.parquet",
            "train-00003-of-00004.parquet",
            "test-00000-of-00001.parquet");
    assertThat(outputs)
        .allSatisfy((variant, files) -> assertThat(files).as(variant).isEqualTo(reference));
  }

  /**
   * Runs {@code polyak <command> --out <dataset>-<variant>} in one child JVM per variant, all at
   * once, and returns each output folder's file name to sha256.
   */
  private static Map<String, Map<String, String>> runEverywhere(
      String dataset, List<String> command) throws Exception {
    List<PolyakProcess> processes = new ArrayList<>();
    for (Variant variant : VARIANTS) {
      List<String> args = new ArrayList<>(command);
      args.addAll(List.of("--out", dir.resolve(dataset + "-" + variant.name()).toString()));
      args.addAll(variant.runnerOptions());
      processes.add(
          PolyakProcess.start(
              variant.name(),
              variant.jvmOptions(),
              args,
              dir.resolve(dataset + "-" + variant.name() + ".log")));
    }
    Map<String, Map<String, String>> outputs = new LinkedHashMap<>();
    for (int v = 0; v < VARIANTS.size(); v++) {
      processes.get(v).awaitSuccess();
      String name = VARIANTS.get(v).name();
      outputs.put(name, TestJobs.fingerprint(dir.resolve(dataset + "-" + name)));
    }
    return outputs;
  }
}
