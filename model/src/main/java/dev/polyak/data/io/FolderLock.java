package dev.polyak.data.io;

import dev.polyak.io.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One owner at a time for a folder (a sweep's or a training run's), across processes and across the
 * hosts that share a file system: the file {@code <folder>/polyak.lock}, created atomically,
 * holding its {@link LockHolder} and a heartbeat the holder rewrites; closing deletes it. A lock
 * whose holder died is taken over (on the same host when its pid is gone, from another host when
 * its heartbeat is stale and does not move), safely between contenders.
 *
 * <p>The protocol: docs/design/folder-lock.md.
 */
public final class FolderLock implements AutoCloseable {
  /** The lock file's name inside the folder it guards. */
  public static final String FILE_NAME = "polyak.lock";

  private static final Logger LOG = LoggerFactory.getLogger(FolderLock.class);
  private static final long SELF = ProcessHandle.current().pid();
  private static final int ROUNDS = 20;

  /**
   * How a holder keeps its lock alive and how long a contender polls.
   *
   * @param heartbeatInterval how often the holder refreshes its heartbeat (10 s: cheap, far below
   *     the lease)
   * @param lease how long a heartbeat counts from another host (60 s: a long GC pause, NFS
   *     write-back delay and tens of seconds of clock difference do not make a live holder look
   *     dead)
   * @param poll how often a waiting contender tries again (2 s)
   */
  public record Settings(Duration heartbeatInterval, Duration lease, Duration poll) {
    public static final Settings DEFAULT =
        new Settings(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2));

    public Settings {
      if (heartbeatInterval.isNegative()
          || heartbeatInterval.isZero()
          || lease.compareTo(heartbeatInterval) <= 0) {
        throw new IllegalArgumentException(
            "a lock's lease must exceed its positive heartbeat interval");
      }
    }
  }

  private final Path file;
  private final LockHolder holder;
  private final FileChannel channel;
  private final long heartbeatOffset;
  private final ScheduledExecutorService heartbeats;
  private final Thread shutdownHook;
  private final AtomicBoolean released = new AtomicBoolean();
  private volatile boolean lost;

  /** Heartbeats in a row that threw; a scheduled task that throws would never run again. */
  private int failedBeats;

  /** A test hook run at the start of each heartbeat (a fault injected there), or null. */
  static volatile Runnable beatFault;

  private FolderLock(Path file, LockHolder holder, FileChannel channel, long heartbeatOffset) {
    this.file = file;
    this.holder = holder;
    this.channel = channel;
    this.heartbeatOffset = heartbeatOffset;
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "polyak-lock-heartbeat");
              thread.setDaemon(true);
              return thread;
            });
    long interval = holder.heartbeatInterval().toMillis();
    heartbeats.scheduleWithFixedDelay(
        this::beatAndRetry, interval, interval, TimeUnit.MILLISECONDS);
    // Ctrl-C or SIGTERM end the JVM without unwinding the command; the hook releases the lock then.
    this.shutdownHook = new Thread(this::close, "polyak-lock-release");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Takes {@code folder}'s lock now, taking over a stale one; throws {@link FolderInUseException}
   * if it is held.
   */
  public static FolderLock acquire(Path folder, String command) {
    return acquire(folder, command, Settings.DEFAULT);
  }

  public static FolderLock acquire(Path folder, String command, Settings settings) {
    return new Contender(folder, settings).attempt(command);
  }

  /**
   * Takes {@code folder}'s lock, waiting as long as a live process holds it; {@code onWait} hears
   * of each new holder it waits for.
   */
  public static FolderLock await(
      Path folder, String command, Settings settings, Consumer<LockHolder> onWait)
      throws InterruptedException {
    Contender contender = new Contender(folder, settings);
    String reported = null;
    while (true) {
      try {
        return contender.attempt(command);
      } catch (FolderInUseException e) {
        if (!e.holder().token().equals(reported)) {
          reported = e.holder().token();
          onWait.accept(e.holder());
        }
        contender.observe(e.holder());
        Thread.sleep(settings.poll().toMillis());
      }
    }
  }

  /**
   * The holder of {@code folder}'s lock if there is one that does not look stale at a glance (no
   * waiting, no change): what a read-only command such as a dry run can say about a folder in use.
   */
  public static Optional<LockHolder> holder(Path folder) {
    Contender contender = new Contender(folder, Settings.DEFAULT);
    return contender.read(contender.file).filter(h -> contender.staleReason(h, false).isEmpty());
  }

  /** Who holds this lock: this process. */
  public LockHolder holder() {
    return holder;
  }

  /**
   * True once another process took the lock over because this one's heartbeat stopped for longer
   * than the lease.
   */
  public boolean lost() {
    return lost;
  }

  /** Stops the heartbeat and deletes the lock file if it is still this process's. */
  @Override
  public void close() {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    heartbeats.shutdownNow();
    try {
      heartbeats.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("closing {}: {}", file, e.toString());
    }
    Optional<LockHolder> current = new Contender(file.getParent(), Settings.DEFAULT).read(file);
    try {
      if (current.isPresent() && current.get().token().equals(holder.token())) {
        Files.deleteIfExists(file);
      } else {
        LOG.warn(
            "not deleting {}: it is no longer this process's lock ({})",
            file,
            current.map(LockHolder::describe).orElse("gone"));
      }
    } catch (IOException e) {
      LOG.warn("cannot delete the lock file {}: {}", file, e.toString());
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down; the hook finds the lock released
      }
    }
  }

  /**
   * One heartbeat; one that fails is logged and the next one tries again (an exception escaping a
   * task of {@code scheduleWithFixedDelay} would silently cancel every later heartbeat, and the
   * lock would go stale under a live holder).
   */
  private void beatAndRetry() {
    try {
      beat();
      failedBeats = 0;
    } catch (RuntimeException e) {
      failedBeats++;
      long interval = holder.heartbeatInterval().toMillis();
      if (failedBeats * interval >= holder.lease().toMillis()) {
        LOG.error(
            "the heartbeat of {} has failed {} times in a row ({}): another host may take the lock"
                + " over; still retrying every {} ms",
            file,
            failedBeats,
            e.toString(),
            interval);
      } else {
        LOG.warn(
            "the heartbeat of {} failed ({}); retrying in {} ms", file, e.toString(), interval);
      }
    }
  }

  /**
   * Rewrites the heartbeat in place (same width, so a reader sees a whole file) and checks the lock
   * is still ours.
   */
  private void beat() {
    if (released.get() || lost) {
      return;
    }
    Runnable fault = beatFault;
    if (fault != null) {
      fault.run();
    }
    try {
      channel.write(ByteBuffer.wrap(LockHolder.heartbeatBytes(Instant.now())), heartbeatOffset);
      channel.force(false);
    } catch (IOException e) {
      LOG.warn("cannot refresh the heartbeat of {}: {}", file, e.toString());
      return;
    }
    Optional<LockHolder> current = new Contender(file.getParent(), Settings.DEFAULT).read(file);
    if (!released.get() && (current.isEmpty() || !current.get().token().equals(holder.token()))) {
      lost = true;
      LOG.error(
          "lost the lock {} to {}: this process's heartbeat stopped for longer than the lease",
          file,
          current.map(LockHolder::describe).orElse("nobody"));
    }
  }

  /**
   * One process's attempts at a folder's lock, with what it has seen of other holders' heartbeats.
   */
  private static final class Contender {
    private final Path folder;
    private final Path file;
    private final Settings settings;

    /** Token to (heartbeat, when this process first saw it): for the while-waiting rule. */
    private final Map<String, Seen> seen = new HashMap<>();

    /**
     * Tokens whose heartbeat moved although it looked stale by this host's clock: clocks differ;
     * they are alive.
     */
    private final Set<String> movedDespiteClock = new HashSet<>();

    private record Seen(Instant heartbeat, long sinceNanos) {}

    Contender(Path folder, Settings settings) {
      this.folder = folder.toAbsolutePath();
      this.file = this.folder.resolve(FILE_NAME);
      this.settings = settings;
    }

    FolderLock attempt(String command) {
      LockHolder last = null;
      for (int round = 0; round < ROUNDS; round++) {
        Optional<FolderLock> created = create(command);
        if (created.isPresent()) {
          return created.get();
        }
        Optional<LockHolder> current = read(file);
        if (current.isEmpty()) {
          continue; // released in between: try to create it again
        }
        last = current.get();
        Optional<String> stale = staleReason(last, true);
        if (stale.isEmpty()) {
          throw new FolderInUseException(folder, last);
        }
        takeOver(last, stale.get());
      }
      throw new FolderInUseException(folder, last); // other processes kept winning the race
    }

    void observe(LockHolder holder) {
      Seen before = seen.get(holder.token());
      if (before == null || !before.heartbeat().equals(holder.heartbeat())) {
        seen.put(holder.token(), new Seen(holder.heartbeat(), System.nanoTime()));
      }
    }

    private Optional<FolderLock> create(String command) {
      FileChannel channel;
      try {
        Files.createDirectories(folder);
        channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the lock file " + file, e);
      }
      Instant now = Instant.now();
      LockHolder me =
          new LockHolder(
              Hosts.local(),
              SELF,
              now,
              now,
              settings.heartbeatInterval(),
              settings.lease(),
              UUID.randomUUID().toString(),
              command);
      byte[] bytes = me.toBytes();
      try {
        channel.write(ByteBuffer.wrap(bytes), 0);
        channel.force(true);
      } catch (IOException e) {
        try {
          channel.close();
          Files.deleteIfExists(file);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw new UncheckedIOException("cannot write the lock file " + file, e);
      }
      int heartbeatWidth = LockHolder.heartbeatBytes(now).length + 1;
      return Optional.of(new FolderLock(file, me, channel, bytes.length - heartbeatWidth));
    }

    /** Why {@code holder}'s lock is stale, or empty when it is (or may be) alive. */
    Optional<String> staleReason(LockHolder holder, boolean watch) {
      if (holder.host().equals(Hosts.local())) {
        if (holder.pid() == SELF) {
          return Optional.empty();
        }
        Optional<ProcessHandle> process =
            ProcessHandle.of(holder.pid()).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
          return Optional.of("its process is not alive");
        }
        Optional<Instant> start = process.get().info().startInstant();
        if (start.isPresent() && start.get().isAfter(holder.started().plusSeconds(1))) {
          return Optional.of(
              "pid " + holder.pid() + " now belongs to a process started at " + start.get());
        }
        return Optional.empty();
      }
      Seen before = seen.get(holder.token());
      if (before != null
          && before.heartbeat().equals(holder.heartbeat())
          && System.nanoTime() - before.sinceNanos() >= holder.lease().toNanos()) {
        return Optional.of("its heartbeat has not moved for " + seconds(holder.lease()));
      }
      Duration age = Duration.between(holder.heartbeat(), Instant.now());
      if (age.compareTo(holder.lease()) <= 0 || movedDespiteClock.contains(holder.token())) {
        return Optional.empty();
      }
      String reason =
          "its heartbeat is " + seconds(age) + " old (lease " + seconds(holder.lease()) + ")";
      if (!watch) {
        return Optional.of(reason);
      }
      // This host's clock may run ahead of the holder's: only a heartbeat that stands still is a
      // dead one.
      long watchNanos = 2 * holder.heartbeatInterval().toNanos();
      long until = System.nanoTime() + watchNanos;
      for (long left = watchNanos; left > 0; left = until - System.nanoTime()) {
        sleep(
            Math.min(left / 1_000_000 + 1, Math.max(1, holder.heartbeatInterval().toMillis() / 4)));
        Optional<LockHolder> again = read(file);
        if (again.isEmpty() || !again.get().token().equals(holder.token())) {
          return Optional.empty(); // released or replaced: the next round looks again
        }
        if (!again.get().heartbeat().equals(holder.heartbeat())) {
          movedDespiteClock.add(holder.token());
          LOG.warn(
              "the lock {} of {} looked stale ({}) but its heartbeat moved: do this host's clock and {}'s"
                  + " differ?",
              file,
              holder.describe(),
              reason,
              holder.host());
          return Optional.empty();
        }
      }
      return Optional.of(reason + " and did not move for " + seconds(Duration.ofNanos(watchNanos)));
    }

    /**
     * Removes the stale lock of {@code stale} unless another contender does so first; the caller
     * then creates its own.
     */
    private void takeOver(LockHolder stale, String reason) {
      Path marker = folder.resolve(".polyak.lock.breaking-" + stale.token());
      try {
        Files.createFile(marker);
      } catch (FileAlreadyExistsException e) {
        removeAbandonedMarker(marker);
        sleep(50); // another process is taking this lock over right now
        return;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + marker, e);
      }
      try {
        // A contender that judged this token stale long ago and found the marker gone must not move
        // a newer lock.
        Optional<LockHolder> still = read(file);
        if (still.isEmpty() || !still.get().token().equals(stale.token())) {
          return;
        }
        Path moved = folder.resolve(".polyak.lock.stale-" + UUID.randomUUID());
        Files.move(file, moved, StandardCopyOption.ATOMIC_MOVE);
        Optional<LockHolder> took = read(moved);
        if (took.isPresent() && took.get().token().equals(stale.token())) {
          LOG.warn("taking over the lock {} of {}: {}", file, stale.describe(), reason);
          Files.deleteIfExists(moved);
        } else {
          giveBack(moved);
        }
      } catch (NoSuchFileException e) {
        // released in between: the next round creates the lock
      } catch (IOException e) {
        throw new UncheckedIOException("cannot take over the stale lock " + file, e);
      } finally {
        try {
          Files.deleteIfExists(marker);
        } catch (IOException e) {
          LOG.warn("cannot delete {}: {}", marker, e.toString());
        }
      }
    }

    /**
     * The stale holder released and another process locked the folder in the instant between the
     * check and the rename: its lock goes back, without replacing a lock created meanwhile.
     */
    private void giveBack(Path moved) throws IOException {
      try {
        Files.createLink(file, moved);
        Files.delete(moved);
      } catch (UnsupportedOperationException e) {
        if (!Files.exists(file)) {
          Files.move(moved, file);
        }
      } catch (FileAlreadyExistsException e) {
        LOG.error(
            "a lock moved aside by mistake ({}) could not go back to {}: another process holds it now",
            moved,
            file);
      }
    }

    /**
     * A marker older than the lease belongs to a contender that died in the middle of a take-over.
     */
    private void removeAbandonedMarker(Path marker) {
      try {
        Instant written = Files.getLastModifiedTime(marker).toInstant();
        if (Duration.between(written, Instant.now()).compareTo(settings.lease()) > 0) {
          Files.deleteIfExists(marker);
        }
      } catch (NoSuchFileException e) {
        // the other contender finished
      } catch (IOException e) {
        LOG.warn("cannot inspect {}: {}", marker, e.toString());
      }
    }

    /**
     * The holder in {@code lockFile}, or empty when there is none. A file just created and not yet
     * written (or cut short by a crash) is read again for up to half a second; if it stays
     * unreadable it is described by its modification time and a digest, so that it goes stale like
     * any other.
     */
    Optional<LockHolder> read(Path lockFile) {
      byte[] bytes = null;
      for (int tries = 0; tries < 10; tries++) {
        try {
          bytes = Files.readAllBytes(lockFile);
          return Optional.of(LockHolder.parse(bytes));
        } catch (NoSuchFileException e) {
          return Optional.empty();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read the lock file " + lockFile, e);
        } catch (IllegalArgumentException e) {
          sleep(50);
        }
      }
      try {
        Instant written = Files.getLastModifiedTime(lockFile).toInstant();
        return Optional.of(
            new LockHolder(
                "unknown (unreadable lock file)",
                -1,
                written,
                written,
                settings.heartbeatInterval(),
                settings.lease(),
                "unreadable-"
                    + Digests.sha256Hex(bytes).substring(0, 16)
                    + "-"
                    + written.toEpochMilli(),
                ""));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the lock file " + lockFile, e);
      }
    }

    private static String seconds(Duration duration) {
      return String.format(java.util.Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while taking the lock", e);
      }
    }
  }

  /** This host's name, as a lock file records it. */
  static final class Hosts {
    private static volatile String local;

    private Hosts() {}

    static String local() {
      if (local == null) {
        String name;
        try {
          name = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
          name = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
        local = name;
      }
      return local;
    }
  }
}
