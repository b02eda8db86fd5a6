package dev.polyak.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * A command that trains runs into a sweep folder (sweep, experiment run, compare): after a
 * file-system failure it names the folder and says that the same command resumes it.
 */
abstract class SweepFolderCommand implements Callable<Integer>, RecoveryAdvice {
  /** The sweep folder, once the command knows it. */
  protected Path folder;

  @Override
  public final Optional<String> recoveryAdvice() {
    return Optional.ofNullable(folder).map(SweepConsole::recoveryAdvice);
  }
}
