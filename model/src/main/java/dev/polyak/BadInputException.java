package dev.polyak;

/**
 * Input that polyak refuses: a missing or empty folder, a truncated record, an invalid byte, an
 * unknown layout, an output folder that would be overwritten. The message names the file (and the
 * position where there is one) and says what is wrong; it is what the user reads.
 */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
