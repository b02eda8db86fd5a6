package dev.polyak.checkpoint;

import java.nio.file.Path;

/**
 * A safetensors or checkpoint file that polyak refuses to read: truncated, a malformed header,
 * offsets that do not match the data, a checksum that does not match. The message names the file
 * and says what is wrong.
 */
public final class CheckpointFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  public CheckpointFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
    this.problem = problem;
  }

  public CheckpointFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file that was being read. */
  public Path file() {
    return file;
  }

  /** What is wrong with it, without the file name. */
  public String problem() {
    return problem;
  }
}
