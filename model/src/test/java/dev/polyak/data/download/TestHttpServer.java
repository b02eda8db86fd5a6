package dev.polyak.data.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTTP server on 127.0.0.1 (ephemeral port) serving byte arrays, honouring {@code Range:
 * bytes=N-} requests, and able to misbehave on demand.
 */
final class TestHttpServer implements AutoCloseable {

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  /** One request the server received. */
  record Request(String path, Optional<String> range) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
  private final Map<String, Integer> cutAfter = new ConcurrentHashMap<>();
  private final Map<String, Integer> stallAfter = new ConcurrentHashMap<>();
  private final CountDownLatch released = new CountDownLatch(1);
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile boolean honourRanges = true;

  private TestHttpServer(HttpServer server) {
    this.server = server;
  }

  static TestHttpServer start() throws IOException {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    TestHttpServer test = new TestHttpServer(http);
    http.createContext("/", test::handle);
    http.setExecutor(test.executor);
    http.start();
    return test;
  }

  /** Serves {@code body} at {@code path}. */
  TestHttpServer serve(String path, byte[] body) {
    bodies.put(path, body.clone());
    return this;
  }

  /**
   * The next response for {@code path} announces the full length but stops after {@code n} bytes.
   */
  TestHttpServer cutNextResponseAfter(String path, int n) {
    cutAfter.put(path, n);
    return this;
  }

  /** The next response for {@code path} sends {@code n} bytes, then hangs until {@link #close}. */
  TestHttpServer stallNextResponseAfter(String path, int n) {
    stallAfter.put(path, n);
    return this;
  }

  /** Makes the server answer every request with 200 and the full body, ignoring Range. */
  TestHttpServer ignoreRanges() {
    honourRanges = false;
    return this;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Optional<String> range = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Range"));
    requests.add(new Request(path, range));
    byte[] body = bodies.get(path);
    if (body == null) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    int start = 0;
    int status = 200;
    if (honourRanges && range.isPresent()) {
      Matcher m = RANGE.matcher(range.get());
      if (!m.matches()) {
        exchange.sendResponseHeaders(400, -1);
        exchange.close();
        return;
      }
      start = Integer.parseInt(m.group(1));
      if (start >= body.length) {
        exchange.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
        exchange.sendResponseHeaders(416, -1);
        exchange.close();
        return;
      }
      status = 206;
      exchange
          .getResponseHeaders()
          .add("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
    }
    int length = body.length - start;
    exchange.getResponseHeaders().add("Accept-Ranges", "bytes");
    exchange.sendResponseHeaders(status, length);
    Integer cut = cutAfter.remove(path);
    OutputStream out = exchange.getResponseBody();
    if (cut != null && cut < length) {
      out.write(body, start, cut);
      out.flush();
      // A handler that throws makes com.sun.net.httpserver drop the connection mid-body.
      throw new IOException("test server: simulated connection cut after " + cut + " bytes");
    }
    Integer stall = stallAfter.remove(path);
    if (stall != null && stall < length) {
      out.write(body, start, stall);
      out.flush();
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("test server: stalled response released");
    }
    out.write(body, start, length);
    out.close();
  }
}
