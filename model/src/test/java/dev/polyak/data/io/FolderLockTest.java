package dev.polyak.data.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The folder lock against real processes (a forked JVM that holds it, killed with SIGKILL), against
 * lock files written as another host would write them, and against contenders racing for one stale
 * lock.
 */
class FolderLockTest {
  /** Fast settings so that heartbeats, leases and watches take milliseconds. */
  private static final FolderLock.Settings FAST =
      new FolderLock.Settings(
          Duration.ofMillis(100), Duration.ofMillis(600), Duration.ofMillis(50));

  @TempDir Path dir;

  @Test
  void aSecondProcessIsRefusedNamingTheHolderUntilTheHolderReleases() throws Exception {
    Process holder = startHolder(dir, 100);
    try {
      assertThatThrownBy(() -> FolderLock.acquire(dir, "test", FAST))
          .isInstanceOfSatisfying(
              FolderInUseException.class,
              e -> {
                assertThat(e.holder().pid()).isEqualTo(holder.pid());
                assertThat(e.holder().host()).isEqualTo(FolderLock.Hosts.local());
                assertThat(e.folder()).isEqualTo(dir.toAbsolutePath());
                assertThat(e.getMessage()).contains("pid " + holder.pid() + " on host ");
              });
      assertThat(field(dir.resolve(FolderLock.FILE_NAME), "pid"))
          .isEqualTo(Long.toString(holder.pid()));
    } finally {
      holder.getOutputStream().close(); // the holder releases and ends
    }
    assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(holder.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("released");
    assertThat(dir.resolve(FolderLock.FILE_NAME)).doesNotExist();
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      assertThat(field(dir.resolve(FolderLock.FILE_NAME), "pid"))
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
    assertThat(dir.resolve(FolderLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void theLockOfAHolderKilledWithSigkillIsTakenOver() throws Exception {
    Process holder = startHolder(dir, 100);
    holder.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Path file = dir.resolve(FolderLock.FILE_NAME);
    assertThat(field(file, "pid")).isEqualTo(Long.toString(holder.pid()));
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      assertThat(field(file, "pid")).isEqualTo(Long.toString(ProcessHandle.current().pid()));
      assertThat(field(file, "token")).isEqualTo(lock.holder().token());
    }
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void aLivePidRespectedUnlessItStartedAfterTheLockWasTaken() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      String host = FolderLock.Hosts.local();
      writeLock(
          new LockHolder(
              host,
              sleeper.pid(),
              Instant.now(),
              Instant.now(),
              FAST.heartbeatInterval(),
              FAST.lease(),
              "live",
              "sleep"));
      assertThatThrownBy(() -> FolderLock.acquire(dir, "test", FAST))
          .isInstanceOf(FolderInUseException.class);
      // The same pid in a lock taken long before that process started: the pid was reused, the
      // holder is gone.
      Instant longAgo = Instant.parse("2001-01-01T00:00:00Z");
      writeLock(
          new LockHolder(
              host,
              sleeper.pid(),
              longAgo,
              Instant.now(),
              FAST.heartbeatInterval(),
              FAST.lease(),
              "reused",
              "sleep"));
      try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
        assertThat(field(dir.resolve(FolderLock.FILE_NAME), "token"))
            .isEqualTo(lock.holder().token());
      }
    } finally {
      sleeper.destroyForcibly();
    }
  }

  @Test
  void anotherHostsFreshHeartbeatIsRespectedAndAnOldOneTakenOver() throws Exception {
    writeLock(otherHost("fresh", Instant.now()));
    assertThatThrownBy(() -> FolderLock.acquire(dir, "test", FAST))
        .isInstanceOfSatisfying(
            FolderInUseException.class,
            e ->
                assertThat(e.holder().describe())
                    .startsWith("pid 4242 on host gpu-node-7.example since "));

    writeLock(otherHost("old", Instant.now().minus(Duration.ofMinutes(10))));
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      assertThat(field(dir.resolve(FolderLock.FILE_NAME), "host"))
          .isEqualTo(FolderLock.Hosts.local());
    }
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void anotherHostsOldLookingHeartbeatThatStillMovesIsRespected() throws Exception {
    // A live holder whose clock runs 10 minutes behind ours: its heartbeat looks old, but it moves.
    Instant behind = Instant.now().minus(Duration.ofMinutes(10));
    writeLock(otherHost("behind", behind));
    Thread ticker =
        new Thread(
            () -> {
              for (int i = 1; !Thread.currentThread().isInterrupted(); i++) {
                try {
                  writeLock(otherHost("behind", behind.plusMillis(100L * i)));
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }
            });
    ticker.start();
    try {
      assertThatThrownBy(() -> FolderLock.acquire(dir, "test", FAST))
          .isInstanceOf(FolderInUseException.class);
    } finally {
      ticker.interrupt();
      ticker.join();
    }
  }

  @Test
  void aWaiterTakesOverAHeartbeatThatStandsStillForALeaseWhateverItsClockSays() throws Exception {
    // Its clock runs an hour ahead: by clocks the heartbeat is fresh, but it never moves.
    writeLock(otherHost("ahead", Instant.now().plus(Duration.ofHours(1))));
    assertThatThrownBy(() -> FolderLock.acquire(dir, "test", FAST))
        .isInstanceOf(FolderInUseException.class);
    List<LockHolder> waitedFor = new ArrayList<>();
    long started = System.nanoTime();
    try (FolderLock lock = FolderLock.await(dir, "test", FAST, waitedFor::add)) {
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(FAST.lease());
      assertThat(waitedFor).extracting(LockHolder::token).containsExactly("ahead");
      assertThat(field(dir.resolve(FolderLock.FILE_NAME), "token"))
          .isEqualTo(lock.holder().token());
    }
  }

  @Test
  void theHolderRefreshesItsHeartbeatInPlaceAndReleasesOnClose() throws Exception {
    Path file = dir.resolve(FolderLock.FILE_NAME);
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      String first = field(file, "heartbeat");
      long size = Files.size(file);
      Thread.sleep(500);
      assertThat(Instant.parse(field(file, "heartbeat"))).isAfter(Instant.parse(first));
      assertThat(Files.size(file)).isEqualTo(size);
      assertThat(field(file, "token")).isEqualTo(lock.holder().token());
      assertThat(lock.lost()).isFalse();
    }
    assertThat(file).doesNotExist();
  }

  @Test
  void aHeartbeatThatThrowsIsRetriedAndLaterHeartbeatsGoOn() throws Exception {
    Path file = dir.resolve(FolderLock.FILE_NAME);
    java.util.concurrent.atomic.AtomicInteger faults =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      FolderLock.beatFault =
          () -> {
            if (faults.getAndIncrement() == 0) {
              failed.countDown();
              throw new IllegalStateException("injected heartbeat failure");
            }
          };
      assertThat(failed.await(5, TimeUnit.SECONDS)).isTrue();
      String afterFailure = field(file, "heartbeat");
      Thread.sleep(500);
      // Several beats ran after the failing one, and moved the heartbeat.
      assertThat(faults.get()).isGreaterThan(2);
      assertThat(Instant.parse(field(file, "heartbeat"))).isAfter(Instant.parse(afterFailure));
      assertThat(lock.lost()).isFalse();
    } finally {
      FolderLock.beatFault = null;
    }
  }

  @Test
  void aHolderWhoseLockWasTakenOverKnowsAndLeavesTheNewLockAlone() throws Exception {
    Path file = dir.resolve(FolderLock.FILE_NAME);
    FolderLock lock = FolderLock.acquire(dir, "test", FAST);
    writeLock(otherHost("usurper", Instant.now().plus(Duration.ofHours(1)))); // replaces the file
    Thread.sleep(400);
    assertThat(lock.lost()).isTrue();
    lock.close();
    assertThat(field(file, "token")).isEqualTo("usurper");
  }

  @Test
  void anUnreadableLockFileIsRespectedWhileNewAndTakenOverWhenOld() throws Exception {
    Path file = dir.resolve(FolderLock.FILE_NAME);
    Files.writeString(file, "host=half-writ");
    // Reading an unreadable file takes at least half a second of retries, longer than FAST's
    // lease on a loaded machine: a lease of minutes keeps "new" new whatever the load.
    FolderLock.Settings patient =
        new FolderLock.Settings(
            Duration.ofMillis(100), Duration.ofMinutes(5), Duration.ofMillis(50));
    assertThatThrownBy(() -> FolderLock.acquire(dir, "test", patient))
        .isInstanceOfSatisfying(
            FolderInUseException.class, e -> assertThat(e.holder().host()).contains("unreadable"));
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    try (FolderLock lock = FolderLock.acquire(dir, "test", patient)) {
      assertThat(field(file, "token")).isEqualTo(lock.holder().token());
    }
  }

  @Test
  void contendersRacingForOneStaleLockLeaveExactlyOneOwner() throws Exception {
    int contenders = 8;
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    try {
      for (int round = 0; round < 60; round++) {
        // Even rounds: a dead pid on this host (taken over at once, the tightest race); odd:
        // another host's old lock.
        Instant old = Instant.now().minus(Duration.ofMinutes(10));
        writeLock(
            round % 2 == 0
                ? new LockHolder(
                    FolderLock.Hosts.local(),
                    ended.pid(),
                    old,
                    old,
                    FAST.heartbeatInterval(),
                    FAST.lease(),
                    "dead-" + round,
                    "test")
                : otherHost("stale-" + round, old));
        CyclicBarrier start = new CyclicBarrier(contenders);
        List<Future<FolderLock>> results = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    try {
                      return FolderLock.acquire(dir, "test", FAST);
                    } catch (FolderInUseException e) {
                      return null;
                    }
                  }));
        }
        List<FolderLock> owners = new ArrayList<>();
        for (Future<FolderLock> result : results) {
          FolderLock lock = result.get(60, TimeUnit.SECONDS);
          if (lock != null) {
            owners.add(lock);
          }
        }
        assertThat(owners).as("round %d", round).hasSize(1);
        assertThat(field(dir.resolve(FolderLock.FILE_NAME), "token"))
            .isEqualTo(owners.get(0).holder().token());
        owners.get(0).close();
        assertThat(leftovers()).as("round %d", round).isEmpty();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aReadOnlyLookNamesALiveHolderAndIgnoresAStaleOne() throws Exception {
    assertThat(FolderLock.holder(dir)).isEmpty();
    try (FolderLock lock = FolderLock.acquire(dir, "test", FAST)) {
      assertThat(FolderLock.holder(dir)).map(LockHolder::token).contains(lock.holder().token());
    }
    writeLock(otherHost("old", Instant.now().minus(Duration.ofMinutes(10))));
    assertThat(FolderLock.holder(dir)).isEmpty();
  }

  private static LockHolder otherHost(String token, Instant heartbeat) {
    return new LockHolder(
        "gpu-node-7.example",
        4242,
        heartbeat.minus(Duration.ofMinutes(1)),
        heartbeat,
        FAST.heartbeatInterval(),
        FAST.lease(),
        token,
        "polyak sweep --config sweep.yaml");
  }

  /** Writes a lock file as another process would (atomically, so no reader sees half of it). */
  private void writeLock(LockHolder holder) throws IOException {
    Path temp = Files.write(dir.resolve(".test-lock.tmp"), holder.toBytes());
    Files.move(
        temp,
        dir.resolve(FolderLock.FILE_NAME),
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** A {@code key=value} line of a lock file, read with plain string operations. */
  private static String field(Path file, String key) throws IOException {
    return Files.readAllLines(file).stream()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1))
        .findFirst()
        .orElseThrow();
  }

  /** Take-over markers and moved stale locks left in the folder. */
  private List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith(".polyak.lock"))
          .toList();
    }
  }

  private static Process startHolder(Path folder, long heartbeatMillis) throws IOException {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LockHolderMain.class.getName(),
                folder.toString(),
                Long.toString(heartbeatMillis))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("the holder process's first line").startsWith("locked ");
    return process;
  }
}
