package dev.polyak.cli;

import java.util.Optional;

/**
 * A command that can say, after a file-system failure (a full disk, a folder it cannot write), what
 * it left intact and how to go on; {@link PolyakCli} appends it to the one-line error.
 */
interface RecoveryAdvice {
  /**
   * E.g. "the newest intact checkpoint is …; free space and run the same command again to resume".
   */
  Optional<String> recoveryAdvice();
}
