package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.cli.PolyakCli;
import dev.polyak.cluster.LocalCluster;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code polyak <args>} in a JVM of its own, as a user runs it: this test's java and class path,
 * the launcher's JVM flags, and extra JVM options that change what a process may change ({@code
 * -XX:hashCode}, locale, time zone, default charset). Output goes to a log file.
 */
final class PolyakProcess {
  private static final long TIMEOUT_MINUTES = 5;

  /**
   * JVM options under which identity hash codes, locale, time zone and default charset all differ
   * from the defaults.
   */
  static final List<String> UNUSUAL_JVM =
      List.of(
          "-XX:+UnlockExperimentalVMOptions",
          "-XX:hashCode=2",
          "-Duser.language=tr",
          "-Duser.country=TR",
          "-Duser.timezone=Asia/Kathmandu",
          "-Dfile.encoding=ISO-8859-1");

  private final Process process;
  private final Path log;
  private final String name;

  private PolyakProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code polyak args} with {@code jvmOptions}; its output goes to {@code log}. */
  static PolyakProcess start(String name, List<String> jvmOptions, List<String> args, Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(LocalCluster.jvmFlags());
    command.addAll(List.of("-Xmx768m", "-Dai.djl.offline=true"));
    command.addAll(jvmOptions);
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), PolyakCli.class.getName()));
    command.addAll(args);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    return new PolyakProcess(name, process, log);
  }

  /** Waits for the process and asserts that it exited with 0, showing its output otherwise. */
  void awaitSuccess() throws IOException, InterruptedException {
    boolean done = process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!done) {
      process.destroyForcibly();
    }
    assertThat(done && process.exitValue() == 0)
        .as(
            "polyak in JVM '%s' finished with exit code 0; its output:%n%s",
            name, Files.readString(log))
        .isTrue();
  }
}
