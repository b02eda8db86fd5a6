package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same input and configuration give byte-identical shard sets and manifests on the DirectRunner and
 * on embedded Flink at parallelism 1 and 2, whatever the chunk size used for scanning.
 */
class ReproducibilityTest {
  @TempDir static Path dir;
  static Path text;
  static Path images;
  static Path images100;

  @BeforeAll
  static void generate() {
    text = dir.resolve("text");
    images = dir.resolve("images");
    images100 = dir.resolve("images100");
    new SyntheticWikiText(3000).write(text, 11, 60, 8, 8);
    SyntheticCifar.write(images, CifarVariant.CIFAR10, 5, 70);
    SyntheticCifar.write(images100, CifarVariant.CIFAR100, 5, 90);
  }

  private static Map<String, String> wikitext(
      String name, org.apache.beam.sdk.options.PipelineOptions options, int chunkBytes) {
    WikiTextConfig config =
        new WikiTextConfig(32, "train", 2, 0, "<eos>", "<unk>", WikiTextConfig.Tail.PAD, 40, 0);
    Path out = dir.resolve(name);
    PreprocessPipeline.run(
        new PreprocessPipeline.WikiTextJob(text, out, config, false, chunkBytes), options);
    return TestJobs.fingerprint(out);
  }

  private static Map<String, String> cifar(
      String name, Path input, org.apache.beam.sdk.options.PipelineOptions options) {
    Path out = dir.resolve(name);
    PreprocessPipeline.run(
        new PreprocessPipeline.CifarJob(
            input, out, Optional.empty(), new CifarConfig(64, 0), false),
        options);
    return TestJobs.fingerprint(out);
  }

  @Test
  void wikitextShardsAreByteIdenticalAcrossRunnersAndParallelism() {
    Map<String, String> direct = wikitext("text-direct", TestJobs.direct(2), 4 << 10);
    Map<String, String> flink1 = wikitext("text-flink1", TestJobs.flink(1), 64 << 10);
    Map<String, String> flink2 = wikitext("text-flink2", TestJobs.flink(2), 3 << 10);
    assertThat(direct.keySet()).contains("manifest.json", "vocab.txt");
    assertThat(direct.keySet()).filteredOn(name -> name.startsWith("train-")).hasSizeGreaterThan(2);
    assertThat(direct.keySet())
        .anyMatch(name -> name.startsWith("valid-"))
        .anyMatch(name -> name.startsWith("test-"));
    assertThat(direct.keySet()).noneMatch(name -> name.startsWith("."));
    assertThat(flink1).isEqualTo(direct);
    assertThat(flink2).isEqualTo(direct);
  }

  @Test
  void cifarShardsAreByteIdenticalAcrossRunnersAndParallelism() {
    Map<String, String> direct = cifar("img-direct", images, TestJobs.direct(2));
    Map<String, String> flink1 = cifar("img-flink1", images, TestJobs.flink(1));
    Map<String, String> flink2 = cifar("img-flink2", images, TestJobs.flink(2));
    // 5 x 70 = 350 train images at 64 per shard: 6 shards; 70 test images: 2 shards.
    assertThat(direct.keySet())
        .containsExactlyInAnyOrder(
            "manifest.json",
            "train-00000-of-00006.parquet",
            "train-00001-of-00006.parquet",
            "train-00002-of-00006.parquet",
            "train-00003-of-00006.parquet",
            "train-00004-of-00006.parquet",
            "train-00005-of-00006.parquet",
            "test-00000-of-00002.parquet",
            "test-00001-of-00002.parquet");
    assertThat(flink1).isEqualTo(direct);
    assertThat(flink2).isEqualTo(direct);
    assertThat(cifar("img100-direct", images100, TestJobs.direct(2)))
        .isEqualTo(cifar("img100-flink2", images100, TestJobs.flink(2)));
  }
}
