package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.io.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's path from an archive on a server (here 127.0.0.1) to shards, through the command line.
 */
class DownloadThenPreprocessTest {
  @TempDir Path dir;

  private static byte[] wikitextZip() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (String split : new String[] {"train", "valid", "test"}) {
        zip.putNextEntry(new ZipEntry("wikitext-2/wiki." + split + ".tokens"));
        zip.write(
            (" \n = Title = \n \n the " + split + " text is here . \n")
                .getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  @SuppressWarnings("unchecked")
  void downloadVerifyExtractAndPreprocess() throws IOException {
    byte[] archive = wikitextZip();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/wikitext-2-v1.zip",
        exchange -> {
          exchange.sendResponseHeaders(200, archive.length);
          exchange.getResponseBody().write(archive);
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/wikitext-2-v1.zip";
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          PolyakCli.execute(
              new PrintWriter(out, true),
              new PrintWriter(err, true),
              "download",
              "wikitext-2",
              "--to",
              dir.resolve("data").toString(),
              "--url",
              url,
              "--sha256",
              Digests.sha256Hex(archive));
      assertThat(code).as(err.toString()).isZero();
      assertThat(out.toString()).contains("done: ").contains(Digests.sha256Hex(archive));

      StringWriter wrong = new StringWriter();
      int refused =
          PolyakCli.execute(
              new PrintWriter(new StringWriter(), true),
              new PrintWriter(wrong, true),
              "download",
              "wikitext-2",
              "--to",
              dir.resolve("other").toString(),
              "--url",
              url,
              "--sha256",
              "0".repeat(64));
      assertThat(refused).isNotZero();
      assertThat(wrong.toString()).contains("sha256").contains("0".repeat(64));
    } finally {
      server.stop(0);
    }
    int code =
        PolyakCli.execute(
            "preprocess",
            "wikitext",
            "--input",
            dir.resolve("data/wikitext-2").toString(),
            "--out",
            dir.resolve("shards").toString(),
            "--seq-len",
            "4",
            "--runner",
            "DirectRunner");
    assertThat(code).isZero();
    Map<String, Object> splits =
        (Map<String, Object>) Manifests.read(dir.resolve("shards/manifest.json")).get("splits");
    // " \n = Title = \n \n the train text is here . \n": 0 + 3 + 0 + 6 words, plus 4 line ends = 13
    // tokens.
    assertThat(((Map<String, Object>) splits.get("train")).get("tokens")).isEqualTo(13);
    assertThat(((Map<String, Object>) splits.get("train")).get("sequences")).isEqualTo(3);
  }
}
