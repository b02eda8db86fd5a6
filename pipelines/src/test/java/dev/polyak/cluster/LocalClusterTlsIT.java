package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.pipelines.PreprocessPipeline;
import dev.polyak.pipelines.RunnerSettings;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real local cluster started with {@code --tls} (from the built polyak jar, on 127.0.0.1): its
 * REST endpoint refuses an HTTPS client without a certificate and plain HTTP, while {@code polyak
 * cluster status}, {@code polyak preprocess} and {@code polyak sweep}, each in a process of its own
 * with {@code --flink-conf-dir <cluster>/client}, get through: the jobs are submitted by Beam's
 * FlinkRunner over mutual TLS and run. An integration test: it needs the jar, so it runs after
 * {@code package}.
 */
class LocalClusterTlsIT {
  static final Path JAR = Path.of("target", "polyak.jar").toAbsolutePath();
  @TempDir Path dir;

  @Test
  void onlyAClientWithTheClusterCertificateGetsThroughAndSubmits() throws Exception {
    assumeTrue(
        Files.isRegularFile(JAR),
        "needs the job jar " + JAR + " (mvn verify builds it before this test)");
    new SyntheticWikiText(3000).write(dir.resolve("corpus"), 11, 30, 4, 4);
    LocalCluster cluster =
        LocalCluster.start(
            dir.resolve("cluster"),
            1,
            new LocalCluster.Settings(
                LocalClusterIT.freePort(),
                LocalClusterIT.freePort(),
                2,
                768,
                768,
                JAR.toString(),
                true),
            Duration.ofSeconds(120));
    try {
      String https = "https://" + cluster.restAddress() + "/overview";
      Path client = cluster.clientConfDir().orElseThrow();

      // Refused: a client that trusts the server but has no certificate fails the handshake; plain
      // HTTP, reading or
      // submitting, gets nothing but Flink's redirect to HTTPS (its RedirectingSslHandler), which
      // leads to the former.
      HttpClient noCertificate =
          HttpClient.newBuilder()
              .sslContext(trustOnly(cluster.folder().resolve("tls"), client))
              .build();
      assertThatThrownBy(() -> send(noCertificate, "GET", https)).isInstanceOf(IOException.class);
      for (String method : List.of("GET /overview", "POST /jobs", "POST /jars/upload")) {
        HttpResponse<String> plain =
            send(
                HttpClient.newHttpClient(),
                method.split(" ")[0],
                "http://" + cluster.restAddress() + method.split(" ")[1]);
        assertThat(plain.statusCode()).as(method).isEqualTo(301);
        assertThat(plain.headers().firstValue("location"))
            .as(method)
            .hasValueSatisfying(l -> assertThat(l).startsWith("https://"));
        assertThat(plain.body()).as(method).isEmpty();
      }
      assertThat(FlinkRest.plain(cluster.restAddress()).overview()).isEmpty();

      // Accepted: polyak with the client configuration.
      Result status = polyak("cluster", "status", "--dir", cluster.folder().toString());
      assertThat(status.exit()).as(status.output()).isZero();
      assertThat(status.output())
          .contains(
              "REST https://" + cluster.restAddress() + " (mutual TLS): 1 task managers, 2 slots");

      // The shards on the DirectRunner in this JVM: one submission (the sweep's) proves the path,
      // and each uploads the jar.
      Path shards = dir.resolve("shards");
      PreprocessPipeline.run(
              new PreprocessPipeline.WikiTextJob(
                  dir.resolve("corpus"),
                  shards,
                  WikiTextConfig.defaults().withRowsPerShard(100),
                  true),
              RunnerSettings.direct(2).toPipelineOptions("polyak-it-data"))
          .waitUntilFinish();

      Files.writeString(
          dir.resolve("sweep.yaml"),
          String.join(
              "\n",
              "model: bert-tiny",
              "data: " + shards,
              "steps: 20",
              "batch_size: 8",
              "eval_every: 10",
              "eval_samples: 16",
              "checkpoint_every: 10",
              "grid:",
              "  seed: 0..1",
              ""));
      Path out = dir.resolve("sweep");
      // no --parallelism: polyak asks the cluster's /overview for its slots, over TLS
      Result sweep =
          polyak(
              "sweep",
              "--config",
              dir.resolve("sweep.yaml").toString(),
              "--out",
              out.toString(),
              "--flink-master",
              cluster.restAddress(),
              "--flink-conf-dir",
              client.toString());
      assertThat(sweep.exit()).as(sweep.output()).isZero();
      assertThat(sweep.output())
          .contains("on Flink at " + cluster.restAddress() + " (parallelism 2)");
      assertThat(AvroFiles.read(out.resolve("report/runs.avro"), RunRecord.class))
          .hasSize(2)
          .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RunStatus.FINISHED));
      assertThat(cluster.overview().orElseThrow().jobsFinished())
          .as("the sweep ran on this cluster")
          .isEqualTo(1);
    } finally {
      cluster.stop();
    }
  }

  /** An SSL context that trusts the cluster's certificates but holds no key of its own. */
  private static SSLContext trustOnly(Path tlsFolder, Path clientConf) throws Exception {
    String password =
        FlinkRest.load(clientConf).toMap().get("security.ssl.rest.truststore-password");
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(
        KeyStore.getInstance(
            tlsFolder.resolve("rest-truststore.p12").toFile(), password.toCharArray()));
    SSLContext context = SSLContext.getInstance("TLSv1.2");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  private static HttpResponse<String> send(HttpClient client, String method, String url)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  record Result(int exit, String output) {}

  /** {@code polyak ...} from the jar, in a process of its own, as a user runs it. */
  private Result polyak(String... arguments) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(LocalCluster.jvmFlags());
    command.addAll(List.of("-Dai.djl.offline=true", "-jar", JAR.toString()));
    command.addAll(List.of(arguments));
    Path log = Files.createTempFile(dir, arguments[0], ".log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!process.waitFor(6, TimeUnit.MINUTES)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(
          "polyak "
              + String.join(" ", arguments)
              + " did not end in 6 min:\n"
              + Files.readString(log));
    }
    return new Result(process.exitValue(), Files.readString(log));
  }
}
