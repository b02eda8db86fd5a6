package dev.polyak.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cluster start refuses before it starts anything, and how a member is recognised (the
 * running cluster is LocalClusterIT's).
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

  /**
   * A folder whose job manager and task manager both died (their pids are of ended processes): the
   * error names the job manager, whose death explains the task manager's, and says its log is
   * empty.
   */
  @Test
  void aDeadJobManagerIsNamedBeforeItsTaskManagers() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    new com.fasterxml.jackson.databind.ObjectMapper()
        .writeValue(
            dir.resolve("cluster.json").toFile(),
            new LocalCluster.Settings(port, port + 1, 1, 256, 256, "polyak.jar", false));
    Files.createDirectories(dir.resolve("pids"));
    Files.createDirectories(dir.resolve("log"));
    for (String name : List.of("jobmanager", "taskmanager-0")) {
      Files.writeString(dir.resolve("pids").resolve(name + ".pid"), Long.toString(ended.pid()));
    }
    Files.writeString(dir.resolve("log").resolve("jobmanager.log"), "");
    Files.writeString(dir.resolve("log").resolve("taskmanager-0.log"), "lost the job manager\n");
    assertThatThrownBy(() -> LocalCluster.open(dir).awaitTaskManagers(1, Duration.ofSeconds(30)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("jobmanager (pid " + ended.pid() + ") exited")
        .hasMessageContaining("(the log is empty: the process wrote nothing before it ended)");
  }

  static final String MARKER = "-Dpolyak.cluster=/c ";

  @Test
  void aCommandLineUnreadableForAMomentIsReadAgain() {
    AtomicInteger reads = new AtomicInteger();
    boolean ours =
        LocalCluster.runsWith(
            () ->
                reads.incrementAndGet() <= 2
                    ? Optional.empty()
                    : Optional.of("java " + MARKER + "-cp polyak.jar"),
            () -> true,
            MARKER,
            Duration.ofSeconds(5));
    assertThat(ours).isTrue();
    assertThat(reads).hasValue(3);
  }

  @Test
  void aStrangerOrAGoneProcessIsNotOurs() {
    AtomicInteger reads = new AtomicInteger();
    assertThat(
            LocalCluster.runsWith(
                () -> {
                  reads.incrementAndGet();
                  return Optional.of("java -Dpolyak.cluster=/other -cp x.jar");
                },
                () -> true,
                MARKER,
                Duration.ofSeconds(5)))
        .isFalse();
    assertThat(reads).as("a readable command line is read once").hasValue(1);
    assertThat(
            LocalCluster.runsWith(
                () -> Optional.of("java " + MARKER), () -> false, MARKER, Duration.ofSeconds(5)))
        .as("an exited process")
        .isFalse();
    long start = System.nanoTime();
    assertThat(LocalCluster.runsWith(Optional::empty, () -> true, MARKER, Duration.ofMillis(50)))
        .as("a command line that never appears (another user's process)")
        .isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  /**
   * The real race: JVMs launched the way the cluster launches its members ({@code setsid} execing
   * {@code java}), each checked at once while two threads keep both cores busy (as a build does).
   * Reading the command line once took a live JVM for a gone one in 3 of 200 such launches on this
   * machine; ThinJarIT once failed so on CI ("taskmanager-0 exited", with an empty log).
   */
  @Test
  void aMemberCheckedJustAfterItsLaunchIsAlive() throws Exception {
    Path setsid = Path.of("/usr/bin/setsid");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(setsid), "needs /usr/bin/setsid, as cluster launches use");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classes =
        Path.of(Sleeper.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    String marker = "-Dpolyak.cluster=/c";
    List<Integer> missed = new ArrayList<>();
    AtomicBoolean busy = new AtomicBoolean(true);
    List<Thread> load = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread spin =
          new Thread(
              () -> {
                while (busy.get()) {
                  Thread.onSpinWait();
                }
              });
      spin.start();
      load.add(spin);
    }
    try {
      for (int i = 0; i < 200; i++) {
        Process p =
            new ProcessBuilder(
                    setsid.toString(),
                    java,
                    "-Xshare:auto",
                    marker,
                    "-cp",
                    classes,
                    Sleeper.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
          ProcessHandle h = p.toHandle();
          if (!LocalCluster.runsWith(
              () -> h.info().commandLine(), h::isAlive, marker, Duration.ofSeconds(1))) {
            missed.add(i);
          }
        } finally {
          p.destroyForcibly().waitFor();
        }
      }
    } finally {
      busy.set(false);
      for (Thread t : load) {
        t.join();
      }
    }
    assertThat(missed).as("launches taken for exited processes").isEmpty();
  }

  /** A process that lives long enough to be checked. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      Thread.sleep(60_000);
    }
  }
}
