package dev.polyak.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 that counts the bytes it carries each way: put between a client and a
 * server, it measures what the client really sent over the wire.
 */
final class CountingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final AtomicLong toServer = new AtomicLong();
  private final AtomicLong toClient = new AtomicLong();

  CountingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "counting-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code 127.0.0.1:<port>}: the address clients use instead of the server's. */
  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Bytes sent by clients to the server so far. */
  long bytesToServer() {
    return toServer.get();
  }

  /** Bytes sent by the server to clients so far. */
  long bytesToClient() {
    return toClient.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        pump(client, upstream, toServer);
        pump(upstream, client, toClient);
      } catch (IOException e) {
        // the server socket closed, or the target refused: the client sees its connection drop
      }
    }
  }

  private static void pump(Socket from, Socket to, AtomicLong counter) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  out.write(buffer, 0, n);
                  counter.addAndGet(n);
                }
              } catch (IOException e) {
                // the other side closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "counting-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
