package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cluster start refuses before it starts anything (the running cluster is LocalClusterIT's).
 */
class LocalClusterTest {
  @TempDir Path dir;

  @Test
  void aPortInUseIsRefusedBeforeAnyProcessStarts() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      // Another cluster's REST endpoint on that port would answer this cluster's registration
      // check.
      assertThatThrownBy(
              () ->
                  LocalCluster.start(
                      dir,
                      1,
                      new LocalCluster.Settings(
                          port, 0, 1, 256, 256, System.getProperty("java.class.path"), false),
                      Duration.ofSeconds(5)))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("REST port (--rest-port) " + port + " on 127.0.0.1 is in use");
    }
    assertThat(dir.resolve("pids")).doesNotExist();
  }

  @Test
  void aFolderWithoutAClusterSaysHowToStartOne() {
    assertThatThrownBy(() -> LocalCluster.open(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no local cluster here")
        .hasMessageContaining("polyak cluster start --dir");
  }
}
