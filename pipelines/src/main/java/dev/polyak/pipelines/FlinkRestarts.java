package dev.polyak.pipelines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Lets a Flink job restart after a task failure (a retried bundle, a lost task manager). Beam's
 * {@code numberOfExecutionRetries} reaches only Flink's streaming environment; a batch job reads
 * its restart strategy from the Flink configuration, so this writes a configuration folder with a
 * fixed-delay strategy and points {@code flinkConfDir} at it — unless the user gave one, whose
 * settings win (a cluster's own configuration decides for jobs submitted to it).
 */
public final class FlinkRestarts {
  private FlinkRestarts() {}

  /** Up to {@code attempts} restarts, {@code delaySeconds} apart; a no-op for other runners. */
  public static PipelineOptions allow(PipelineOptions options, int attempts, int delaySeconds) {
    if (!(options.getRunner().getSimpleName().startsWith("Flink"))) {
      return options;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    if (flink.getFlinkConfDir() != null) {
      return options;
    }
    try {
      Path dir = Files.createTempDirectory("polyak-flink-conf");
      dir.toFile().deleteOnExit();
      Path file =
          Files.writeString(
              dir.resolve("flink-conf.yaml"),
              String.join(
                  "\n",
                  "# written by polyak: restart the sweep's tasks after a failure; finished runs are skipped on restart",
                  "restart-strategy.type: fixed-delay",
                  "restart-strategy.fixed-delay.attempts: " + attempts,
                  "restart-strategy.fixed-delay.delay: " + delaySeconds + " s",
                  ""));
      file.toFile().deleteOnExit();
      flink.setFlinkConfDir(dir.toString());
      return options;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a Flink configuration folder", e);
    }
  }
}
