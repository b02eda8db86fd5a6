package dev.polyak.data.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches one URL into a {@code .part} file, resuming an existing partial file with an HTTP {@code
 * Range} request. A cut connection leaves the partial file in place for the next attempt.
 */
final class RangeFetcher {

  private static final Logger LOG = LoggerFactory.getLogger(RangeFetcher.class);
  private static final int BUFFER = 1 << 16;
  private static final Pattern CONTENT_RANGE =
      Pattern.compile("bytes\\s+(?:(\\d+)-(\\d+)|\\*)/(\\d+|\\*)");

  private final HttpClient client;
  private final Duration requestTimeout;
  private final Duration idleTimeout;

  /**
   * @param requestTimeout how long to wait for the response headers
   * @param idleTimeout how long the body may deliver no data before the transfer is abandoned
   */
  RangeFetcher(HttpClient client, Duration requestTimeout, Duration idleTimeout) {
    this.client = Objects.requireNonNull(client, "client");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
  }

  /**
   * Makes {@code part} hold the complete body of {@code url}. The caller verifies the result.
   *
   * @param expectedSize the archive size if known; a partial file of exactly this size is taken as
   *     complete without contacting the server, and a body growing beyond it is rejected
   */
  void fetch(URI url, Path part, OptionalLong expectedSize, ProgressListener listener)
      throws IOException {
    long existing = Files.exists(part) ? Files.size(part) : 0L;
    if (expectedSize.isPresent()) {
      long expected = expectedSize.getAsLong();
      if (existing == expected) {
        LOG.info("{} already holds all {} bytes; not contacting {}", part, expected, url);
        listener.onProgress(existing, expected);
        return;
      }
      if (existing > expected) {
        LOG.warn(
            "{} is larger ({} bytes) than the expected {} bytes; starting over",
            part,
            existing,
            expected);
        Files.delete(part);
        existing = 0L;
      }
    }
    fetchFrom(url, part, existing, expectedSize, listener, true);
  }

  private void fetchFrom(
      URI url,
      Path part,
      long existing,
      OptionalLong expectedSize,
      ProgressListener listener,
      boolean mayRestart)
      throws IOException {
    HttpResponse<InputStream> response = send(url, existing);
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      HttpHeaders headers = response.headers();
      if (status == 206 && existing > 0) {
        long start = contentRangeStart(headers);
        if (start != existing) {
          if (!mayRestart) {
            throw new DownloadException(
                DownloadException.Kind.NETWORK,
                "server "
                    + url
                    + " answered range request bytes="
                    + existing
                    + "- with content starting at byte "
                    + start);
          }
          LOG.warn(
              "{} answered bytes={}- with a range starting at {}; starting over",
              url,
              existing,
              start);
          Files.deleteIfExists(part);
          body.close();
          fetchFrom(url, part, 0L, expectedSize, listener, false);
          return;
        }
        LOG.info("Resuming {} at byte {}", url, existing);
        long total = contentRangeTotal(headers).orElse(expectedSize.orElse(-1L));
        copy(
            url,
            body,
            part,
            true,
            existing,
            total,
            expectedSize,
            headers.firstValueAsLong("Content-Length"),
            listener);
      } else if (status == 200 || status == 206) {
        if (existing > 0) {
          LOG.info("{} ignored the range request; downloading from the start", url);
        }
        OptionalLong length = headers.firstValueAsLong("Content-Length");
        long total = length.orElse(expectedSize.orElse(-1L));
        copy(url, body, part, false, 0L, total, expectedSize, length, listener);
      } else if (status == 416 && existing > 0) {
        OptionalLong total = contentRangeTotal(headers);
        if (total.isPresent() && total.getAsLong() == existing) {
          LOG.info("{} reports the {} bytes in {} are already complete", url, existing, part);
          listener.onProgress(existing, existing);
          return;
        }
        if (!mayRestart) {
          throw httpError(url, status, existing);
        }
        LOG.warn("{} rejected range bytes={}- (HTTP 416); starting over", url, existing);
        Files.deleteIfExists(part);
        body.close();
        fetchFrom(url, part, 0L, expectedSize, listener, false);
      } else {
        throw httpError(url, status, existing);
      }
    }
  }

  private HttpResponse<InputStream> send(URI url, long existing) throws DownloadException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url)
            .GET()
            .timeout(requestTimeout)
            .header("User-Agent", "polyak-downloader");
    if (existing > 0) {
      request.header("Range", "bytes=" + existing + "-");
    }
    LOG.debug("GET {} (range start {})", url, existing);
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new DownloadException(
          DownloadException.Kind.NETWORK, "cannot connect to " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DownloadException(
          DownloadException.Kind.NETWORK, "interrupted while requesting " + url, e);
    }
  }

  private void copy(
      URI url,
      InputStream body,
      Path part,
      boolean append,
      long start,
      long total,
      OptionalLong expectedSize,
      OptionalLong contentLength,
      ProgressListener listener)
      throws IOException {
    long done = start;
    byte[] buffer = new byte[BUFFER];
    listener.onProgress(done, total);
    try (StallGuard guard = new StallGuard(idleTimeout, body);
        OutputStream out =
            Files.newOutputStream(
                part,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      while (true) {
        int n;
        try {
          n = body.read(buffer);
        } catch (IOException e) {
          throw new DownloadException(
              DownloadException.Kind.NETWORK,
              "connection to "
                  + url
                  + " failed after "
                  + done
                  + " of "
                  + describe(total)
                  + " bytes"
                  + stalled(guard)
                  + "; the partial download is kept in "
                  + part
                  + " and will be resumed: "
                  + e,
              e);
        }
        if (n < 0 && guard.tripped()) {
          throw new DownloadException(
              DownloadException.Kind.NETWORK,
              "connection to "
                  + url
                  + " stalled after "
                  + done
                  + " of "
                  + describe(total)
                  + " bytes"
                  + stalled(guard)
                  + "; the partial download is kept in "
                  + part
                  + " and will be resumed");
        }
        if (n < 0) {
          break;
        }
        guard.progressed();
        out.write(buffer, 0, n);
        done += n;
        if (expectedSize.isPresent() && done > expectedSize.getAsLong()) {
          out.close();
          Files.deleteIfExists(part);
          throw new DownloadException(
              DownloadException.Kind.SIZE_MISMATCH,
              "size mismatch for "
                  + url
                  + ": expected "
                  + expectedSize.getAsLong()
                  + " bytes but the server sent more; deleted "
                  + part);
        }
        listener.onProgress(done, total);
      }
    }
    long received = done - start;
    if (contentLength.isPresent() && received < contentLength.getAsLong()) {
      throw new DownloadException(
          DownloadException.Kind.NETWORK,
          "connection to "
              + url
              + " ended after "
              + received
              + " of "
              + contentLength.getAsLong()
              + " announced bytes; the partial download"
              + " is kept in "
              + part
              + " and will be resumed");
    }
  }

  private static long contentRangeStart(HttpHeaders headers) throws DownloadException {
    Matcher m = contentRange(headers);
    if (m == null || m.group(1) == null) {
      throw new DownloadException(
          DownloadException.Kind.NETWORK,
          "206 response without a usable Content-Range header: "
              + headers.firstValue("Content-Range").orElse("(none)"));
    }
    return Long.parseLong(m.group(1));
  }

  private static OptionalLong contentRangeTotal(HttpHeaders headers) {
    Matcher m = contentRange(headers);
    if (m == null || "*".equals(m.group(3))) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(m.group(3)));
  }

  private static Matcher contentRange(HttpHeaders headers) {
    return headers
        .firstValue("Content-Range")
        .map(v -> CONTENT_RANGE.matcher(v.trim()))
        .filter(Matcher::matches)
        .orElse(null);
  }

  private static DownloadException httpError(URI url, int status, long existing) {
    String range = existing > 0 ? " (request with Range: bytes=" + existing + "-)" : "";
    return new DownloadException(
        DownloadException.Kind.HTTP_STATUS, "HTTP " + status + " from " + url + range);
  }

  private String stalled(StallGuard guard) {
    return guard.tripped() ? " (no data for " + idleTimeout.toSeconds() + " s)" : "";
  }

  private static String describe(long total) {
    return total < 0 ? "an unknown number of" : Long.toString(total);
  }
}
