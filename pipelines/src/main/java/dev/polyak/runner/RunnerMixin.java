package dev.polyak.runner;

import dev.polyak.cluster.FlinkRest;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.pipelines.ThinJobJar;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** The runner options every job command takes. */
public final class RunnerMixin {
  private static final Logger LOG = LoggerFactory.getLogger(RunnerMixin.class);

  @Option(
      names = "--runner",
      defaultValue = "FlinkRunner",
      description = "FlinkRunner (default) or DirectRunner.")
  String runner;

  @Option(
      names = "--flink-master",
      defaultValue = RunnerSettings.LOCAL_FLINK,
      description =
          "[local] for an embedded Flink (default), or host:port of a Flink cluster's REST endpoint.")
  String flinkMaster;

  @Option(
      names = "--parallelism",
      description =
          "Flink parallelism / DirectRunner threads (default: the cluster's"
              + " task slots for --flink-master host:port, as its REST /overview reports them; otherwise the number of cores).")
  Integer parallelism;

  @Option(
      names = "--flink-conf-dir",
      description =
          "Flink configuration folder of the client (its config.yaml), e.g."
              + " the security.ssl.rest.* settings of a cluster with TLS on its REST endpoint (polyak cluster start --tls:"
              + " <dir>/client). Default: $FLINK_CONF_DIR, if set.")
  Path flinkConfDir;

  @Option(
      names = "--thin-jar",
      description =
          "With --flink-master host:port: ship a jar of a few hundred bytes"
              + " instead of polyak's own (310 MB; 2.7 GB for the GPU build), for a cluster that runs polyak from its own class"
              + " path (the image's lib/polyak.jar, polyak cluster start) built from the same commit.")
  boolean thinJar;

  public RunnerSettings settings() {
    RunnerSettings.Runner kind = RunnerSettings.Runner.parse(runner);
    Optional<Path> confDir = FlinkRest.confDir(Optional.ofNullable(flinkConfDir));
    int p = parallelism != null ? parallelism : defaultParallelism(kind, flinkMaster, confDir);
    RunnerSettings settings = new RunnerSettings(kind, flinkMaster, p, jobJar(), confDir);
    return thinJar && !settings.isLocal()
        ? new RunnerSettings(
            kind, flinkMaster, p, Optional.of(ThinJobJar.createTemporary()), confDir)
        : settings;
  }

  /**
   * A remote Flink cluster's total task slots (a sweep then runs one cell per slot), or this
   * machine's cores for an embedded Flink, the DirectRunner, or a cluster whose REST endpoint does
   * not answer (the submission will say why).
   */
  static int defaultParallelism(
      RunnerSettings.Runner kind, String flinkMaster, Optional<Path> confDir) {
    int cores = Runtime.getRuntime().availableProcessors();
    if (kind != RunnerSettings.Runner.FLINK || flinkMaster.startsWith("[")) {
      return cores;
    }
    FlinkRest rest = FlinkRest.of(flinkMaster, confDir);
    Optional<FlinkRest.Overview> overview = rest.overview();
    if (overview.isPresent() && overview.get().slotsTotal() > 0) {
      return overview.get().slotsTotal();
    }
    LOG.warn(
        "{} did not report its task slots (GET {}/overview{}); parallelism defaults to this machine's {} cores",
        flinkMaster,
        rest.url(),
        rest.tls() ? "" : "; a cluster with TLS on its REST endpoint needs --flink-conf-dir",
        cores);
    return cores;
  }

  /** The jar polyak runs from, shipped to a remote Flink cluster. */
  public static Optional<Path> jobJar() {
    try {
      Path location =
          Path.of(RunnerMixin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(location) ? Optional.of(location) : Optional.empty();
    } catch (URISyntaxException | SecurityException e) {
      return Optional.empty();
    }
  }
}
