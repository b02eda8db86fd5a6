package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keys {@code polyak cluster start --tls} makes and polyak's own REST client: against an HTTPS
 * endpoint that requires a client certificate (the JDK's server with the generated server stores),
 * the client configuration folder gets {@code /overview}; a client without a certificate, with a
 * certificate the truststore does not hold, or speaking plain HTTP is refused.
 */
class RestTlsTest {
  @TempDir static Path dir;
  static RestTls tls;

  @BeforeAll
  static void keys() {
    // keytool runs six times (two key pairs, their certificates into the truststore): made once for
    // all tests
    tls = RestTls.generate(dir.resolve("tls"));
    RestTls.writeConfig(dir.resolve("client"), "", tls.clientSettings());
  }

  @Test
  void theStoresHoldTheTwoKeysAndTheirCertificatesAndOnlyTheOwnerReadsThem() throws Exception {

    KeyStore trust =
        KeyStore.getInstance(
            dir.resolve("tls/rest-truststore.p12").toFile(), tls.password().toCharArray());
    assertThat(Collections.list(trust.aliases()))
        .containsExactlyInAnyOrder("rest-server", "rest-client");
    X509Certificate server = (X509Certificate) trust.getCertificate("rest-server");
    assertThat(server.getSubjectAlternativeNames())
        .extracting(n -> n.get(1).toString())
        .contains("127.0.0.1", "localhost");
    KeyStore client =
        KeyStore.getInstance(
            dir.resolve("tls/rest-client.p12").toFile(), tls.password().toCharArray());
    assertThat(client.isKeyEntry("rest-client")).isTrue();
    assertThat(client.getCertificate("rest-client")).isEqualTo(trust.getCertificate("rest-client"));

    assertThat(Files.getPosixFilePermissions(dir.resolve("tls")))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    for (String file :
        List.of(
            "tls/rest-server.p12",
            "tls/rest-client.p12",
            "tls/rest-truststore.p12",
            "client/config.yaml")) {
      assertThat(Files.getPosixFilePermissions(dir.resolve(file)))
          .as(file)
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    try (var files = Files.list(dir.resolve("tls"))) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("no certificate file left behind")
          .containsExactlyInAnyOrder("rest-server.p12", "rest-client.p12", "rest-truststore.p12");
    }
    assertThat(tls.toString()).doesNotContain(tls.password());
    // Flink reads the file back as written
    assertThat(FlinkRest.load(dir.resolve("client")).toMap())
        .containsAllEntriesOf(tls.clientSettings());
  }

  @Test
  void onlyAClientWithTheCertificateGetsThrough() throws Exception {
    try (HttpsOverview endpoint = new HttpsOverview(tls, 7)) {
      FlinkRest rest = FlinkRest.of(endpoint.address(), Optional.of(dir.resolve("client")));
      assertThat(rest.url()).isEqualTo("https://" + endpoint.address());
      assertThat(rest.overview()).map(FlinkRest.Overview::slotsTotal).contains(7);
      assertThat(endpoint.answered()).isEqualTo(1);

      // trusts the server, but has no certificate to show
      HttpClient noCertificate = HttpClient.newBuilder().sslContext(trustOnly(tls)).build();
      assertThatThrownBy(() -> get(noCertificate, "https://" + endpoint.address()))
          .isInstanceOf(IOException.class);
      // a certificate of another cluster's keys
      RestTls other = RestTls.generate(dir.resolve("other"));
      RestTls.writeConfig(dir.resolve("other-client"), "", other.clientSettings());
      assertThat(
              FlinkRest.of(endpoint.address(), Optional.of(dir.resolve("other-client"))).overview())
          .isEmpty();
      // plain HTTP
      assertThat(FlinkRest.plain(endpoint.address()).overview()).isEmpty();
      assertThatThrownBy(() -> get(HttpClient.newHttpClient(), "http://" + endpoint.address()))
          .isInstanceOf(IOException.class);
      assertThat(endpoint.answered()).as("none of them reached /overview").isEqualTo(1);
    }
  }

  @Test
  void aFolderWithoutAFlinkConfigurationIsNamed() {
    assertThatThrownBy(() -> FlinkRest.of("127.0.0.1:8081", Optional.of(dir.resolve("nothing"))))
        .isInstanceOf(dev.polyak.BadInputException.class)
        .hasMessageContaining(dir.resolve("nothing") + ": not a Flink configuration folder");
  }

  private static SSLContext trustOnly(RestTls tls) throws Exception {
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(
        KeyStore.getInstance(
            tls.folder().resolve("rest-truststore.p12").toFile(), tls.password().toCharArray()));
    SSLContext context = SSLContext.getInstance("TLSv1.2");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  private static int get(HttpClient client, String base) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create(base + "/overview"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
