package dev.polyak.engine;

import dev.polyak.BadInputException;

/**
 * PyTorch cannot be loaded, or cannot use a GPU, with this build on this machine. The message is
 * one line: which build this is, what the machine offers, and what to do; the command line prints
 * it and exits with 2, like any other input polyak refuses.
 */
public final class EngineUnavailableException extends BadInputException {
  private static final long serialVersionUID = 1L;

  public EngineUnavailableException(String message) {
    super(message);
  }

  public EngineUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
