package dev.polyak.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.BadInputException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.SecurityOptions;
import org.apache.flink.runtime.net.SSLUtils;

/**
 * polyak's own requests to a Flink cluster's REST endpoint ({@code GET /overview}, for {@code
 * polyak cluster status} and a sweep's default parallelism). With a Flink configuration folder that
 * turns on {@code security.ssl.rest.enabled} the requests go over HTTPS and present the folder's
 * client certificate, with the key and trust stores Flink's own client would use (Flink's {@link
 * SSLUtils#createRestSSLContext}); the same folder is what Beam's FlinkRunner submits jobs with.
 */
public final class FlinkRest {
  /** Beam's FlinkRunner and Flink's own client read this folder when no other is given. */
  public static final String CONF_DIR_VARIABLE = "FLINK_CONF_DIR";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The REST API's {@code /overview}. */
  public record Overview(
      int taskManagers,
      int slotsTotal,
      int slotsAvailable,
      int jobsRunning,
      int jobsFinished,
      int jobsFailed) {}

  private final String address;
  private final Optional<SSLContext> tls;

  private FlinkRest(String address, Optional<SSLContext> tls) {
    this.address = address;
    this.tls = tls;
  }

  /** Plain HTTP to {@code host:port}. */
  public static FlinkRest plain(String address) {
    return new FlinkRest(address, Optional.empty());
  }

  /**
   * The endpoint {@code host:port} as a client configured by the Flink configuration folder {@code
   * confDir} (its {@code config.yaml}) reaches it: over mutual TLS when that turns on {@code
   * security.ssl.rest.enabled}, else plain HTTP.
   */
  public static FlinkRest of(String address, Optional<Path> confDir) {
    if (confDir.isEmpty()) {
      return plain(address);
    }
    Configuration configuration = load(confDir.get());
    if (!SecurityOptions.isRestSSLEnabled(configuration)) {
      return plain(address);
    }
    try {
      return new FlinkRest(
          address, Optional.of(SSLUtils.createRestSSLContext(configuration, true)));
    } catch (Exception e) {
      throw new BadInputException(
          confDir.get().resolve("config.yaml")
              + ": cannot set up TLS for the REST endpoint ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  /**
   * The Flink configuration folder a client uses: the one given, else {@code $FLINK_CONF_DIR}
   * (where Beam's FlinkRunner looks without one), else none.
   */
  public static Optional<Path> confDir(Optional<Path> given) {
    return given.or(
        () ->
            Optional.ofNullable(System.getenv(CONF_DIR_VARIABLE))
                .filter(s -> !s.isBlank())
                .map(Path::of));
  }

  /**
   * A Flink configuration folder as Flink's own client loads it; a folder without a configuration
   * file is refused with its name (Flink would fail later, deep inside the submission).
   */
  public static Configuration load(Path confDir) {
    if (!Files.isRegularFile(confDir.resolve("config.yaml"))
        && !Files.isRegularFile(confDir.resolve("flink-conf.yaml"))) {
      throw new BadInputException(
          confDir + ": not a Flink configuration folder (no config.yaml or flink-conf.yaml)");
    }
    try {
      return GlobalConfiguration.loadConfiguration(confDir.toString());
    } catch (RuntimeException e) {
      throw new BadInputException(
          confDir + ": unreadable Flink configuration (" + e.getMessage() + ")", e);
    }
  }

  /** Whether requests go over TLS. */
  public boolean tls() {
    return tls.isPresent();
  }

  /** {@code https://host:port} or {@code http://host:port}. */
  public String url() {
    return (tls() ? "https://" : "http://") + address;
  }

  /** The endpoint's {@code /overview}, or empty when it does not answer with one. */
  public Optional<Overview> overview() {
    try {
      HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
      tls.ifPresent(client::sslContext);
      HttpResponse<String> response =
          client
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(url() + "/overview"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      JsonNode o = JSON.readTree(response.body());
      return Optional.of(
          new Overview(
              o.path("taskmanagers").asInt(),
              o.path("slots-total").asInt(),
              o.path("slots-available").asInt(),
              o.path("jobs-running").asInt(),
              o.path("jobs-finished").asInt(),
              o.path("jobs-failed").asInt()));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
