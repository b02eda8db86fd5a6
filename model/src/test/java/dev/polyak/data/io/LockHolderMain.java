package dev.polyak.data.io;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate process for {@link FolderLockTest}: takes the lock of {@code args[0]} with a heartbeat
 * every {@code args[1]} ms, prints "locked", holds it until its standard input closes, releases it
 * and prints "released".
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    Duration heartbeat = Duration.ofMillis(Long.parseLong(args[1]));
    try (FolderLock lock =
        FolderLock.acquire(
            Path.of(args[0]),
            "LockHolderMain",
            new FolderLock.Settings(heartbeat, heartbeat.multipliedBy(6), heartbeat))) {
      System.out.println("locked " + lock.holder().token());
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold the lock until the test closes our standard input
      }
    }
    System.out.println("released");
    System.out.flush();
  }
}
