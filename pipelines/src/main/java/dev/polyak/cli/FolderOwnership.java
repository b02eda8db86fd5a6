package dev.polyak.cli;

import dev.polyak.BadInputException;
import dev.polyak.data.io.FolderInUseException;
import dev.polyak.data.io.FolderLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/**
 * One owner at a time for the folder a command writes (a sweep's, a training run's, the
 * quickstart's): the command takes the folder's {@link FolderLock} or is refused in one line (exit
 * code 2), or with {@code --wait} waits for the holder to end. Read-only commands ({@code
 * --dry-run}, {@code polyak report}) take no lock.
 */
final class FolderOwnership {
  private FolderOwnership() {}

  /**
   * Takes the lock of {@code folder} ({@code what}: "sweep folder", "run folder") for the command
   * of {@code spec}.
   *
   * @throws BadInputException naming the holder, when it is held and {@code wait} is false
   */
  static FolderLock take(Path folder, String what, boolean wait, CommandSpec spec) {
    String command =
        "polyak " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    if (!wait) {
      try {
        return FolderLock.acquire(folder, command);
      } catch (FolderInUseException e) {
        throw new BadInputException(
            what
                + " "
                + e.folder()
                + " is in use by "
                + e.holder().describe()
                + "; wait for it to end, or pass --wait");
      }
    }
    PrintWriter console = spec.commandLine().getOut();
    try {
      return FolderLock.await(
          folder,
          command,
          FolderLock.Settings.DEFAULT,
          holder -> {
            console.printf(
                "waiting: %s %s is in use by %s (%s)%n",
                what, folder, holder.describe(), holder.command());
            console.flush();
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + folder, e);
    }
  }

  /**
   * Says so when another process took the lock over during the command (this one's heartbeat
   * stopped too long).
   */
  static void reportLoss(FolderLock lock, String what, PrintWriter console) {
    if (lock.lost()) {
      console.printf(
          "warning: another process took over the lock of this %s while this command ran (its heartbeat"
              + " stopped for longer than the lease); both may have written to it%n",
          what);
      console.flush();
    }
  }
}
