package dev.polyak.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.polyak.BadInputException;
import dev.polyak.cluster.HttpsOverview;
import dev.polyak.cluster.RestTls;
import dev.polyak.pipelines.RunnerSettings;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default parallelism: a remote cluster's task slots as its REST {@code /overview} reports them
 * (served here by a stand-in on 127.0.0.1 with the JSON fields Flink 1.19 sends), the cores
 * otherwise.
 */
class RunnerMixinTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @Test
  void aRemoteClusterRunsOneTaskPerSlotUnlessTold() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/overview", HttpsOverview.overview(3, 12, requests));
    server.start();
    try {
      String master = "127.0.0.1:" + server.getAddress().getPort();
      assertThat(settings("--flink-master", master).parallelism()).isEqualTo(12);
      assertThat(requests.get()).isEqualTo(1);
      // an explicit --parallelism wins and asks nothing
      assertThat(settings("--flink-master", master, "--parallelism", "5").parallelism())
          .isEqualTo(5);
      assertThat(requests.get()).isEqualTo(1);
      // the DirectRunner and an embedded Flink take the cores
      assertThat(settings("--flink-master", master, "--runner", "DirectRunner").parallelism())
          .isEqualTo(CORES);
      assertThat(settings().parallelism()).isEqualTo(CORES);
      assertThat(requests.get()).isEqualTo(1);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aClusterThatDoesNotAnswerFallsBackToTheCores() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    assertThat(
            RunnerMixin.defaultParallelism(
                RunnerSettings.Runner.FLINK, "127.0.0.1:" + closedPort, Optional.empty()))
        .isEqualTo(CORES);
    assertThat(
            RunnerMixin.defaultParallelism(
                RunnerSettings.Runner.FLINK, "not a host:port", Optional.empty()))
        .isEqualTo(CORES);
  }

  @Test
  void aClusterWithTlsIsAskedWithTheClientCertificateOfTheConfFolder(@TempDir Path dir)
      throws Exception {
    RestTls tls = RestTls.generate(dir.resolve("tls"));
    RestTls.writeConfig(dir.resolve("client"), "", tls.clientSettings());
    try (HttpsOverview endpoint = new HttpsOverview(tls, 12)) {
      RunnerSettings settings =
          settings(
              "--flink-master",
              endpoint.address(),
              "--flink-conf-dir",
              dir.resolve("client").toString());
      assertThat(settings.parallelism()).isEqualTo(12);
      assertThat(settings.flinkConfDir()).contains(dir.resolve("client"));
      // Beam's FlinkRunner submits with the same folder
      RunnerSettings withJar =
          new RunnerSettings(
              settings.runner(),
              settings.flinkMaster(),
              settings.parallelism(),
              Optional.of(dir.resolve("polyak.jar")),
              settings.flinkConfDir());
      assertThat(withJar.toPipelineOptions("t").as(FlinkPipelineOptions.class).getFlinkConfDir())
          .isEqualTo(dir.resolve("client").toAbsolutePath().toString());
      // without the folder the handshake fails: the cores, with a warning
      assertThat(settings("--flink-master", endpoint.address()).parallelism()).isEqualTo(CORES);
      assertThat(endpoint.answered()).isEqualTo(1);
    }
  }

  @Test
  void aConfFolderWithoutConfigurationIsRefusedWithItsName(@TempDir Path dir) {
    assertThatThrownBy(
            () -> settings("--flink-master", "127.0.0.1:1", "--flink-conf-dir", dir.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(dir + ": not a Flink configuration folder");
  }

  @Test
  void theThinJarIsAFewHundredBytesWithoutAClassAndIsWhatARemoteJobStages() throws Exception {
    RunnerSettings thin =
        settings("--flink-master", "127.0.0.1:1", "--parallelism", "2", "--thin-jar");
    java.nio.file.Path jar = thin.jobJar().orElseThrow();
    java.util.List<String> entries;
    try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
      entries = file.stream().map(java.util.jar.JarEntry::getName).toList();
      assertThat(file.getManifest().getMainAttributes().getValue("Polyak-Revision")).isNotBlank();
    }

    assertThat(java.nio.file.Files.size(jar)).isLessThan(1024);
    assertThat(entries)
        .noneMatch(name -> name.endsWith(".class"))
        .contains("META-INF/polyak-thin-job.txt");
    org.apache.beam.runners.flink.FlinkPipelineOptions options =
        thin.toPipelineOptions("job").as(org.apache.beam.runners.flink.FlinkPipelineOptions.class);
    assertThat(options.getFilesToStage()).containsExactly(jar.toString());
    // an embedded Flink ships nothing, so no thin jar is made for it
    assertThat(
            settings("--thin-jar", "--parallelism", "1")
                .jobJar()
                .map(path -> path.getFileName().toString()))
        .isEqualTo(RunnerMixin.jobJar().map(path -> path.getFileName().toString()));
  }

  /** The settings the options give, parsed as picocli parses a command's. */
  private static RunnerSettings settings(String... args) {
    RunnerMixin mixin = new RunnerMixin();
    new picocli.CommandLine(mixin).parseArgs(args);
    return mixin.settings();
  }
}
