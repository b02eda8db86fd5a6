package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.testing.TestShardSets;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training run on a CPU prints nothing on stderr that the user cannot act on: neither DJL's CUDA
 * probe warning ("Failed to detect GPU count") nor PyTorch's "AutoNonVariableTypeMode is
 * deprecated", which the native library writes to file descriptor 2 where no in-process capture
 * sees it. So the command runs in a child JVM with the jar's class path and logging configuration
 * (the test class path's own simplelogger.properties left out).
 */
class CpuRunNoiseTest {
  @TempDir Path dir;

  @Test
  void aCpuTrainingRunAndItsResumeWriteNothingToStderr() throws Exception {
    Path input = dir.resolve("wikitext");
    new SyntheticWikiText(300).write(input, 3, 4, 1, 1);
    Path shards = Files.createDirectories(dir.resolve("shards"));
    TestShardSets.text(
        input,
        shards,
        new WikiTextConfig(32, "train", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.DROP, 1000, 0));
    // bert-tiny's masked-language-model head: its decoder bias is set from the token counts at the
    // start,
    // and a resume restores every weight from the checkpoint, the two places the warning came from.
    Path config =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "model: bert-tiny",
                "model_options: {hidden: 16, layers: 1, heads: 2, ffn: 32}",
                "data: shards",
                "steps: 2",
                "batch_size: 2",
                "eval_every: 2",
                "eval_samples: 2",
                ""));
    Path out = dir.resolve("run");

    Child first = polyak("train", "--config", config.toString(), "--out", out.toString());
    Child resumed = polyak("train", "--config", config.toString(), "--out", out.toString());

    assertThat(first.code()).as(first.stderr()).isZero();
    assertThat(first.stdout()).contains("final: step 2");
    assertThat(resumed.code()).as(resumed.stderr()).isZero();
    assertThat(resumed.stdout()).contains("(resumed from step 2)");
    for (Child child : List.of(first, resumed)) {
      assertThat(child.stderr())
          .doesNotContain("AutoNonVariableTypeMode")
          .doesNotContain("CudaUtils")
          .doesNotContain("Failed to detect GPU count");
    }
    // Only the resume's own notice is left on stderr.
    assertThat(first.stderr()).isBlank();
    assertThat(resumed.stderr().lines())
        .allSatisfy(l -> assertThat(l).contains("resumes from step 2"));
  }

  record Child(int code, String stdout, String stderr) {}

  /**
   * {@code polyak args} in a child JVM with this JVM's options and the main (not the test) class
   * path.
   */
  private Child polyak(String... args) throws Exception {
    String classPath =
        Arrays.stream(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"))
                    .split(File.pathSeparator))
            .filter(e -> !e.endsWith("test-classes") && !e.endsWith("-tests.jar"))
            .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", classPath, PolyakCli.class.getName()));
    command.addAll(List.of(args));
    Path stdout = Files.createTempFile(dir, "stdout", ".txt");
    Path stderr = Files.createTempFile(dir, "stderr", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("polyak " + String.join(" ", args) + " did not end in 5 minutes");
    }
    return new Child(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
  }
}
