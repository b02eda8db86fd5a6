package dev.polyak.cli;

import dev.polyak.pipelines.RunnerSettings;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The runner options every job command takes. */
final class RunnerMixin {
  @Option(names = "--runner", defaultValue = "FlinkRunner",
      description = "FlinkRunner (default) or DirectRunner.")
  String runner;

  @Option(names = "--flink-master", defaultValue = RunnerSettings.LOCAL_FLINK,
      description = "[local] for an embedded Flink (default), or host:port of a Flink cluster's REST endpoint.")
  String flinkMaster;

  @Option(names = "--parallelism", description = "Flink parallelism / DirectRunner threads (default: the number of cores).")
  Integer parallelism;

  RunnerSettings settings() {
    int p = parallelism != null ? parallelism : Runtime.getRuntime().availableProcessors();
    return new RunnerSettings(RunnerSettings.Runner.parse(runner), flinkMaster, p, jobJar());
  }

  /** The jar polyak runs from, shipped to a remote Flink cluster. */
  static Optional<Path> jobJar() {
    try {
      Path location = Path.of(PolyakCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(location) ? Optional.of(location) : Optional.empty();
    } catch (URISyntaxException | SecurityException e) {
      return Optional.empty();
    }
  }
}
