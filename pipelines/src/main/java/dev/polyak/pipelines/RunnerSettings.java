package dev.polyak.pipelines;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Where a job runs: Beam's FlinkRunner on an embedded Flink ({@code [local]}, the default) or on a
 * cluster ({@code host:port}), or the DirectRunner.
 *
 * @param runner which Beam runner
 * @param flinkMaster {@code [local]} for an embedded Flink, {@code host:port} for a cluster's REST
 *     endpoint
 * @param parallelism Flink parallelism, or the DirectRunner's thread count
 * @param jobJar the jar to ship to a remote Flink cluster; empty when running locally
 * @param flinkConfDir the Flink configuration folder the FlinkRunner's client reads (e.g. TLS for
 *     the REST endpoint); empty for none
 */
public record RunnerSettings(
    Runner runner,
    String flinkMaster,
    int parallelism,
    Optional<Path> jobJar,
    Optional<Path> flinkConfDir) {
  public static final String LOCAL_FLINK = "[local]";

  /** The Beam runners polyak jobs run on. */
  public enum Runner {
    FLINK,
    DIRECT;

    public static Runner parse(String name) {
      String n = name.toLowerCase(Locale.ROOT);
      if (n.equals("flink") || n.equals("flinkrunner")) {
        return FLINK;
      }
      if (n.equals("direct") || n.equals("directrunner")) {
        return DIRECT;
      }
      throw new IllegalArgumentException(
          "unknown runner '" + name + "'; use FlinkRunner or DirectRunner");
    }
  }

  public RunnerSettings {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    }
  }

  public static RunnerSettings embeddedFlink(int parallelism) {
    return new RunnerSettings(
        Runner.FLINK, LOCAL_FLINK, parallelism, Optional.empty(), Optional.empty());
  }

  public static RunnerSettings direct(int parallelism) {
    return new RunnerSettings(
        Runner.DIRECT, LOCAL_FLINK, parallelism, Optional.empty(), Optional.empty());
  }

  public boolean isLocal() {
    return runner == Runner.DIRECT || flinkMaster.equals(LOCAL_FLINK);
  }

  public String describe() {
    if (runner == Runner.DIRECT) {
      return "DirectRunner (" + parallelism + " threads)";
    }
    return (isLocal() ? "embedded Flink" : "Flink at " + flinkMaster)
        + " (parallelism "
        + parallelism
        + ")";
  }

  /** Beam options for a job named {@code jobName}. */
  public PipelineOptions toPipelineOptions(String jobName) {
    PipelineOptions options;
    if (runner == Runner.DIRECT) {
      DirectOptions direct = PipelineOptionsFactory.as(DirectOptions.class);
      direct.setRunner(DirectRunner.class);
      direct.setTargetParallelism(parallelism);
      options = direct;
    } else {
      FlinkPipelineOptions flink = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
      flink.setRunner(FlinkRunner.class);
      flink.setFlinkMaster(flinkMaster);
      flink.setParallelism(parallelism);
      // polyak's DoFns never mutate their inputs, so chained operators may pass them without a
      // copy.
      flink.setFasterCopy(true);
      if (!isLocal()) {
        Path jar =
            jobJar.orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "running on a Flink cluster needs the polyak job jar; start polyak from its jar (./polyak does)"));
        flink.setFilesToStage(List.of(jar.toString()));
        flinkConfDir.ifPresent(dir -> flink.setFlinkConfDir(dir.toAbsolutePath().toString()));
      }
      options = flink;
    }
    options.setJobName(jobName);
    return options;
  }
}
