package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input fails the job with a message naming the file and position, and leaves the output folder
 * exactly as it was: no shards, no manifest, no temporary folder, an older set untouched.
 */
class BadInputTest {
  @TempDir Path dir;

  private Path corpus() {
    Path text = dir.resolve("text");
    new SyntheticWikiText(500).write(text, 3, 20, 3, 3);
    return text;
  }

  private static PreprocessPipeline.WikiTextJob job(Path input, Path out, boolean overwrite) {
    return new PreprocessPipeline.WikiTextJob(
        input, out, WikiTextConfig.defaults(), overwrite, 4096);
  }

  @Test
  void invalidUtf8FailsTheFlinkJobWithFileOffsetAndLineAndWritesNothing() throws IOException {
    Path text = corpus();
    Path test = text.resolve("wiki.test.tokens");
    long offset = Files.size(test);
    Files.write(
        test, new byte[] {' ', 'b', 'a', 'd', (byte) 0xFF, ' ', '\n'}, StandardOpenOption.APPEND);
    // The bad byte is on the line after the last complete one: 1-based line = newlines before it +
    // 1.
    long lines =
        new String(Files.readAllBytes(test), java.nio.charset.StandardCharsets.ISO_8859_1)
            .chars()
            .filter(c -> c == '\n')
            .count();
    Path out = Files.createDirectories(dir.resolve("out"));
    Files.writeString(out.resolve("notes.txt"), "kept");
    assertThatThrownBy(() -> PreprocessPipeline.run(job(text, out, false), TestJobs.flink(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("wiki.test.tokens")
        .hasMessageContaining("invalid UTF-8 byte 0xff at byte offset " + (offset + 4))
        .hasMessageContaining("(line " + lines + ")");
    assertThat(TestJobs.fingerprint(out)).containsOnlyKeys("notes.txt");
  }

  @Test
  void aFailedOverwriteLeavesTheOlderSetIntact() throws IOException {
    Path text = corpus();
    Path out = dir.resolve("out");
    PreprocessPipeline.run(job(text, out, false), TestJobs.direct(2));
    Map<String, String> before = TestJobs.fingerprint(out);
    assertThat(before).containsKey("manifest.json");

    assertThatThrownBy(() -> PreprocessPipeline.run(job(text, out, false), TestJobs.direct(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("already holds a shard set")
        .hasMessageContaining("--overwrite");
    Files.write(
        text.resolve("wiki.valid.tokens"),
        new byte[] {(byte) 0xC0, (byte) 0x80, '\n'},
        StandardOpenOption.APPEND);
    assertThatThrownBy(() -> PreprocessPipeline.run(job(text, out, true), TestJobs.direct(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("wiki.valid.tokens");
    assertThat(TestJobs.fingerprint(out)).isEqualTo(before);
  }

  @Test
  void aTruncatedCifarFileIsRefusedBeforeAnythingRuns() throws IOException {
    Path images = dir.resolve("images");
    SyntheticCifar.write(images, CifarVariant.CIFAR10, 1, 10);
    Files.write(
        images.resolve("data_batch_3.bin"), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    Path out = dir.resolve("out");
    assertThatThrownBy(
            () ->
                PreprocessPipeline.run(
                    new PreprocessPipeline.CifarJob(
                        images, out, Optional.empty(), CifarConfig.defaults(), false),
                    TestJobs.flink(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("data_batch_3.bin")
        .hasMessageContaining("10 records and 3 bytes left over");
    assertThat(out).doesNotExist();
  }

  @Test
  void aCifarLabelOutOfRangeNamesTheRecord() throws IOException {
    Path images = dir.resolve("images");
    SyntheticCifar.write(images, CifarVariant.CIFAR10, 1, 10);
    byte[] test = Files.readAllBytes(images.resolve("test_batch.bin"));
    test[7 * 3073] = 42;
    Files.write(images.resolve("test_batch.bin"), test);
    Path out = dir.resolve("out");
    assertThatThrownBy(
            () ->
                PreprocessPipeline.run(
                    new PreprocessPipeline.CifarJob(
                        images, out, Optional.empty(), CifarConfig.defaults(), false),
                    TestJobs.flink(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("test_batch.bin: record 7")
        .hasMessageContaining("label 42");
    assertThat(TestJobs.fingerprint(out)).isEmpty();
  }

  @Test
  void aMissingVocabularySplitIsNamed() {
    Path text = corpus();
    WikiTextConfig config = WikiTextConfig.defaults().withVocabSplit("dev");
    assertThatThrownBy(
            () ->
                PreprocessPipeline.run(
                    new PreprocessPipeline.WikiTextJob(text, dir.resolve("out"), config, false),
                    TestJobs.direct(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no 'dev' split")
        .hasMessageContaining("train, valid, test");
  }
}
