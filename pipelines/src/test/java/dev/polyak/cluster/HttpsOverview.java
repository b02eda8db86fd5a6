package dev.polyak.cluster;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.net.SSLUtils;

/**
 * A stand-in for a Flink REST endpoint with mutual TLS on 127.0.0.1: the JDK's HTTPS server with
 * the key and trust stores of a {@link RestTls}'s server settings (loaded by Flink's own {@link
 * SSLUtils}), requiring a client certificate, serving {@code /overview} with the fields Flink 1.19
 * sends. The real endpoint is LocalClusterTlsIT's.
 */
public final class HttpsOverview implements AutoCloseable {
  private final HttpsServer server;
  private final AtomicInteger answered = new AtomicInteger();

  public HttpsOverview(RestTls tls, int slots) throws Exception {
    SSLContext context =
        SSLUtils.createRestSSLContext(Configuration.fromMap(tls.serverSettings()), false);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(
        new HttpsConfigurator(context) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters parameters = context.getDefaultSSLParameters();
            parameters.setNeedClientAuth(true);
            parameters.setProtocols(new String[] {"TLSv1.2"});
            parameters.setCipherSuites(RestTls.CIPHER_SUITES.split(","));
            params.setSSLParameters(parameters);
          }
        });
    server.createContext("/overview", overview(1, slots, answered));
    server.start();
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests that got through the handshake to {@code /overview}. */
  public int answered() {
    return answered.get();
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
  }

  /**
   * Flink 1.19's {@code /overview} answer for {@code taskManagers} with {@code slots} in all,
   * counted in {@code answered}.
   */
  public static HttpHandler overview(int taskManagers, int slots, AtomicInteger answered) {
    return exchange -> {
      answered.incrementAndGet();
      byte[] body =
          ("{\"taskmanagers\":"
                  + taskManagers
                  + ",\"slots-total\":"
                  + slots
                  + ",\"slots-available\":"
                  + slots
                  + ",\"jobs-running\":0,\"jobs-finished\":0,\"jobs-cancelled\":0,\"jobs-failed\":0,\"flink-version\":\"1.19.0\"}")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    };
  }
}
