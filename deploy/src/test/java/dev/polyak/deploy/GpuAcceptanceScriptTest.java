package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of {@code deploy/gpu-acceptance.sh} that run without a GPU: its comparison step on the
 * logs of two real CPU runs of {@code polyak train} (the script's bert-tiny run file on the
 * quickstart's shards, 300 steps, 1 and 2 engine threads), the same logs with one evaluation moved
 * within and beyond the tolerance, its dry run, and shellcheck.
 */
class GpuAcceptanceScriptTest {
  private static final Path SCRIPT = DeployTree.deploy().resolve("gpu-acceptance.sh");
  private static final Path FIXTURES =
      Path.of("src/test/resources/GpuAcceptanceScriptTest").toAbsolutePath();
  private static final Pattern EVALUATION =
      Pattern.compile("^step (\\d+): train loss [^,]*, eval loss ([^,]*),", Pattern.MULTILINE);
  private static final Path ONE_THREAD = FIXTURES.resolve("train-cpu-1-thread.log");
  private static final Path TWO_THREADS = FIXTURES.resolve("train-cpu-2-threads.log");
  @TempDir Path dir;

  record Result(int code, String output) {}

  @Test
  void twoCpuRunsAgree() throws Exception {
    Result result = script("--compare", ONE_THREAD.toString(), TWO_THREADS.toString());

    assertThat(result.code()).as(result.output()).isZero();
    assertThat(lastLine(result))
        .isEqualTo(
            "metrics: 6 evaluations, max relative eval-loss difference "
                + percent(worstRelativeDifference(ONE_THREAD, TWO_THREADS))
                + " (at step 50), tolerance 2.000 %: PASS");
  }

  @Test
  void aDifferenceWithinTheTolerancePassesAndOneBeyondItFails() throws Exception {
    Path within = shifted(ONE_THREAD, 200, 1.015);
    Path beyond = shifted(ONE_THREAD, 250, 0.97);

    Result passes = script("--compare", ONE_THREAD.toString(), within.toString());
    Result fails = script("--compare", ONE_THREAD.toString(), beyond.toString());

    assertThat(passes.code()).as(passes.output()).isZero();
    assertThat(lastLine(passes))
        .contains(percent(worstRelativeDifference(ONE_THREAD, within)) + " (at step 200)")
        .endsWith(": PASS");
    assertThat(fails.code()).isEqualTo(1);
    assertThat(lastLine(fails))
        .contains(percent(worstRelativeDifference(ONE_THREAD, beyond)) + " (at step 250)")
        .endsWith(": FAIL");
    // a looser tolerance lets it pass
    assertThat(
            script("--compare", ONE_THREAD.toString(), beyond.toString(), "--tolerance", "0.05")
                .code())
        .isZero();
  }

  @Test
  void theDryRunPrintsTheOneGpuRunsWithoutDockerOrAGpu() throws Exception {
    Result result =
        script(
            "--dry-run",
            "--image",
            "registry.example.com/polyak/polyak-flink:gpu",
            "--gpu",
            "3",
            "--work",
            dir.resolve("work").toString());

    assertThat(result.code()).as(result.output()).isZero();
    assertThat(result.output())
        .contains("docker pull registry.example.com/polyak/polyak-flink:gpu")
        .contains("--gpus device=3")
        .contains("polyak train --config /work/bert-tiny.yaml --out /work/runs/cpu --device cpu")
        .contains("polyak train --config /work/bert-tiny.yaml --out /work/runs/gpu --device gpu")
        .contains("polyak bench train --device gpu")
        .contains("nvidia-smi --query-gpu=memory.used")
        .contains("-i 3")
        .endsWith("(dry run: nothing ran)\n");
    assertThat(dir.resolve("work")).doesNotExist();
  }

  @Test
  void shellcheckFindsNothing() throws Exception {
    assumeTrue(onPath("shellcheck"), "shellcheck is not installed");
    Process process =
        new ProcessBuilder("shellcheck", SCRIPT.toString()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
  }

  /** A copy of {@code log} whose eval loss at {@code step} is multiplied by {@code factor}. */
  Path shifted(Path log, long step, double factor) throws IOException {
    String text = Files.readString(log);
    Matcher m =
        Pattern.compile(
                "^step " + step + ": train loss [^,]*, eval loss ([0-9.]+),", Pattern.MULTILINE)
            .matcher(text);
    assertThat(m.find()).isTrue();
    String moved =
        String.format(java.util.Locale.ROOT, "%.4f", Double.parseDouble(m.group(1)) * factor);
    Path copy = dir.resolve("shifted-" + step + ".log");
    Files.writeString(copy, text.substring(0, m.start(1)) + moved + text.substring(m.end(1)));
    return copy;
  }

  static String percent(double fraction) {
    return String.format(java.util.Locale.ROOT, "%.3f %%", 100 * fraction);
  }

  /**
   * The largest relative eval-loss difference at the steps both logs evaluated, computed here
   * independently.
   */
  static double worstRelativeDifference(Path a, Path b) throws IOException {
    Map<Long, Double> first = evaluations(Files.readString(a));
    Map<Long, Double> second = evaluations(Files.readString(b));
    double worst = 0;
    for (Map.Entry<Long, Double> e : first.entrySet()) {
      Double other = second.get(e.getKey());
      if (other != null) {
        worst = Math.max(worst, Math.abs(other - e.getValue()) / e.getValue());
      }
    }
    return worst;
  }

  static Map<Long, Double> evaluations(String log) {
    Map<Long, Double> losses = new TreeMap<>();
    Matcher m = EVALUATION.matcher(log);
    while (m.find()) {
      losses.put(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)));
    }
    return losses;
  }

  Result script(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  static String lastLine(Result result) {
    List<String> lines = result.output().lines().toList();
    return lines.get(lines.size() - 1);
  }

  static boolean onPath(String tool) {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(folder, tool))) {
        return true;
      }
    }
    return false;
  }
}
