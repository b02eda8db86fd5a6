package dev.polyak.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the PyTorch reference scripts of {@code shared/anchors} through its {@code run.sh}
 * (mode {@code 1} for one thread, {@code 2p} for two with passive OpenMP waiting) in a separate
 * process and returns the JSON of its {@code RESULT} lines.
 */
final class AnchorScripts {
  private AnchorScripts() {}

  /** The folder must hold run.sh; checked before anything is measured. */
  static void check(Path reference) {
    if (reference != null && !Files.isRegularFile(reference.resolve("run.sh"))) {
      throw new IllegalArgumentException("--reference " + reference + " has no run.sh");
    }
  }

  /**
   * The RESULT records of {@code script args...} with {@code threads} threads; empty, with the
   * reason printed, when the script fails or times out (10 minutes).
   */
  static List<JsonNode> run(
      Path reference, int threads, PrintStream console, String... scriptAndArgs)
      throws IOException, InterruptedException {
    check(reference);
    List<String> command =
        new ArrayList<>(
            List.of("bash", reference.resolve("run.sh").toString(), threads == 1 ? "1" : "2p"));
    command.addAll(List.of(scriptAndArgs));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // the reference as a researcher runs it: without the malloc tunable that polyak's launcher sets
    builder.environment().remove("GLIBC_TUNABLES");
    Process process = builder.start();
    List<JsonNode> results = new ArrayList<>();
    StringBuilder output = new StringBuilder();
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.append(line).append('\n');
        if (line.startsWith("RESULT ")) {
          results.add(json.readTree(line.substring("RESULT ".length())));
        }
      }
    }
    if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0 || results.isEmpty()) {
      console.printf(
          "reference %s failed (exit %s): %s%n",
          String.join(" ", command),
          process.isAlive() ? "timeout" : Integer.toString(process.exitValue()),
          output.toString().strip());
      return List.of();
    }
    return results;
  }
}
