package dev.polyak.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Whether tests that check polyak's files against a numpy reader can run here. */
public final class Python {
  private Python() {}

  /** Whether {@code python3} is on the path and imports numpy. */
  public static boolean hasNumpy() {
    try {
      Process process =
          new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
