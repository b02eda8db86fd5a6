package dev.polyak.cluster;

import dev.polyak.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Mutual TLS for a Flink REST endpoint, with keys made by the JDK's {@code keytool}: a key pair for
 * the server (its certificate valid for 127.0.0.1 and localhost), one for the client, and a
 * truststore holding both certificates. Flink's {@code security.ssl.rest.*} settings then make the
 * endpoint speak HTTPS only and accept only clients that present a certificate of the truststore
 * ({@code authentication-enabled}); the client's settings are a Flink configuration folder that
 * Beam's FlinkRunner ({@code flinkConfDir}) and {@link FlinkRest} read.
 *
 * <p>Passwords are random, reach keytool through its environment (never its command line, which
 * {@code ps} shows) and are written only into owner-only files, as Flink needs them in its
 * configuration.
 *
 * @param folder the owner-only folder of the key stores
 * @param password the password of all three stores (and of the keys in them)
 */
public record RestTls(Path folder, String password) {
  static final String SERVER_KEYSTORE = "rest-server.p12";
  static final String CLIENT_KEYSTORE = "rest-client.p12";
  static final String TRUSTSTORE = "rest-truststore.p12";

  /**
   * TLS 1.2 with forward-secret AES-GCM suites (Flink's default is the older
   * TLS_RSA_WITH_AES_128_CBC_SHA).
   */
  static final String CIPHER_SUITES =
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

  /** Makes fresh key stores in {@code folder} (created owner-only), replacing any there. */
  public static RestTls generate(Path folder) {
    RestTls tls =
        new RestTls(folder.toAbsolutePath().normalize(), HexFormat.of().formatHex(randomBytes(24)));
    ownerOnlyFolder(tls.folder);
    try {
      for (String store : List.of(SERVER_KEYSTORE, CLIENT_KEYSTORE, TRUSTSTORE)) {
        Files.deleteIfExists(tls.folder.resolve(store));
      }
      tls.keytool(
          "-genkeypair",
          "-alias",
          "rest-server",
          "-dname",
          "CN=polyak Flink REST endpoint",
          "-ext",
          "SAN=ip:127.0.0.1,dns:localhost",
          "-keystore",
          SERVER_KEYSTORE);
      tls.keytool(
          "-genkeypair",
          "-alias",
          "rest-client",
          "-dname",
          "CN=polyak client",
          "-keystore",
          CLIENT_KEYSTORE);
      for (String side : List.of("server", "client")) {
        Path certificate = tls.folder.resolve("rest-" + side + ".crt");
        tls.keytool(
            "-exportcert",
            "-rfc",
            "-alias",
            "rest-" + side,
            "-keystore",
            "rest-" + side + ".p12",
            "-file",
            certificate.toString());
        tls.keytool(
            "-importcert",
            "-noprompt",
            "-alias",
            "rest-" + side,
            "-file",
            certificate.toString(),
            "-keystore",
            TRUSTSTORE);
        Files.delete(certificate);
      }
      for (String store : List.of(SERVER_KEYSTORE, CLIENT_KEYSTORE, TRUSTSTORE)) {
        Files.setPosixFilePermissions(
            tls.folder.resolve(store), PosixFilePermissions.fromString("rw-------"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the TLS key stores in " + tls.folder, e);
    }
    return tls;
  }

  /**
   * The job manager's settings: HTTPS only, and only for clients with a certificate of the
   * truststore.
   */
  public Map<String, String> serverSettings() {
    return settings(SERVER_KEYSTORE);
  }

  /**
   * A client's settings (Beam's FlinkRunner, polyak's own requests): the same, with the client's
   * key.
   */
  public Map<String, String> clientSettings() {
    return settings(CLIENT_KEYSTORE);
  }

  /**
   * Writes {@code settings} as a Flink {@code config.yaml} (with {@code prefix}, the text before
   * them) into {@code confFolder}, which is made owner-only since the file holds the key stores'
   * password.
   */
  public static void writeConfig(Path confFolder, String prefix, Map<String, String> settings) {
    ownerOnlyFolder(confFolder);
    StringBuilder yaml = new StringBuilder(prefix);
    if (!prefix.isEmpty() && !prefix.endsWith("\n")) {
      yaml.append('\n');
    }
    yaml.append(
        "\n# Mutual TLS on the REST endpoint (polyak cluster start --tls): HTTPS only, and only for clients\n"
            + "# that present a certificate of the truststore. The password is random, made at the cluster's start.\n");
    settings.forEach(
        (key, value) ->
            yaml.append(key).append(": '").append(value.replace("'", "''")).append("'\n"));
    Path file = confFolder.resolve("config.yaml");
    AtomicFiles.writeString(file, yaml.toString());
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make " + file + " owner-only", e);
    }
  }

  private Map<String, String> settings(String keystore) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("security.ssl.rest.enabled", "true");
    s.put("security.ssl.rest.authentication-enabled", "true");
    s.put("security.ssl.rest.keystore", folder.resolve(keystore).toString());
    s.put("security.ssl.rest.keystore-password", password);
    s.put("security.ssl.rest.key-password", password);
    s.put("security.ssl.rest.truststore", folder.resolve(TRUSTSTORE).toString());
    s.put("security.ssl.rest.truststore-password", password);
    s.put("security.ssl.protocol", "TLSv1.2");
    s.put("security.ssl.algorithms", CIPHER_SUITES);
    return s;
  }

  /**
   * Runs the JDK's keytool in {@link #folder} with PKCS12 stores, the password given through its
   * environment.
   */
  private void keytool(String... arguments) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(arguments));
    boolean makesKey = command.contains("-genkeypair");
    if (makesKey) {
      command.addAll(
          List.of(
              "-keyalg",
              "RSA",
              "-keysize",
              "2048",
              "-validity",
              "825",
              "-keypass:env",
              "POLYAK_TLS_PASSWORD"));
    }
    command.addAll(List.of("-storetype", "PKCS12", "-storepass:env", "POLYAK_TLS_PASSWORD"));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(folder.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("POLYAK_TLS_PASSWORD", password);
    try {
      Process process = builder.start();
      String output =
          new String(
              process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(
            "keytool " + arguments[0] + " failed in " + folder + ": " + output.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }

  private static void ownerOnlyFolder(Path folder) {
    try {
      Files.createDirectories(folder);
      Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the owner-only folder " + folder, e);
    }
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  @Override
  public String toString() {
    return "RestTls[" + folder + "]"; // never the password
  }
}
