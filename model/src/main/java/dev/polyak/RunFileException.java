package dev.polyak;

/**
 * A value of a run file that polyak refuses, with the key it was given under: {@code steps}, {@code
 * batch_size}, {@code pruning.ratio}, {@code pruning.options.alpha}. The message is what the user
 * reads; the key is what code reads to find where the value was written (a sweep file points at the
 * line of the axis value or top-level key responsible), so rewording a message never moves an error
 * to another line.
 */
public class RunFileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String detail;

  /**
   * @param key the run-file key whose value is wrong, dotted below the top level
   * @param detail what is wrong with it, as the user reads it
   */
  public RunFileException(String key, String detail) {
    this(key, "", detail);
  }

  /**
   * @param where the position in the run file ({@code "line 3: "}), prefixed to the message
   */
  public RunFileException(String key, String where, String detail) {
    super(where + detail);
    this.key = key;
    this.detail = detail;
  }

  /** The run-file key whose value is wrong ({@code pruning.options.alpha}). */
  public String key() {
    return key;
  }

  /** The message without the position in the run file. */
  public String detail() {
    return detail;
  }

  /** The same error one block down: key {@code block.key}, message {@code block: detail}. */
  public RunFileException within(String block) {
    RunFileException outer = new RunFileException(block + "." + key, block + ": " + detail);
    outer.initCause(this);
    return outer;
  }
}
