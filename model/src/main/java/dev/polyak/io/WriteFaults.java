package dev.polyak.io;

import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A test seam: makes a chosen file write fail as a full disk does, so that a test can check what a
 * command leaves behind (earlier files intact, no temporary files) and what it says. The writers of
 * polyak's files ({@link AtomicFiles}, Parquet shards) call {@link #beforeWrite} with the file they
 * are about to fill; nothing is armed outside tests, and then the call only reads one field.
 */
public final class WriteFaults {
  /** The armed fault, or null. */
  private static volatile Armed armed;

  private WriteFaults() {}

  /** An armed fault; closing it disarms it. */
  public static final class Armed implements AutoCloseable {
    private final Predicate<Path> which;
    private final AtomicInteger remaining;
    private final AtomicInteger failed = new AtomicInteger();

    private Armed(Predicate<Path> which, int nth) {
      this.which = which;
      this.remaining = new AtomicInteger(nth);
    }

    /**
     * How many writes failed so far (every matching write from the nth on fails, as on a full
     * disk).
     */
    public int failures() {
      return failed.get();
    }

    @Override
    public void close() {
      armed = null;
    }
  }

  /**
   * From the {@code nth} write (1-based) of a file that {@code which} accepts on, every such write
   * fails with {@code FileSystemException(file, null, "No space left on device")}.
   */
  public static Armed failFromNthWrite(Predicate<Path> which, int nth) {
    if (nth < 1) {
      throw new IllegalArgumentException("nth must be at least 1, got " + nth);
    }
    Armed fault = new Armed(which, nth);
    armed = fault;
    return fault;
  }

  /**
   * Called by a writer after it opened {@code file} (or its temporary file) and before it writes
   * the bytes.
   */
  public static void beforeWrite(Path file) throws FileSystemException {
    Armed fault = armed;
    if (fault != null && fault.which.test(file) && fault.remaining.decrementAndGet() <= 0) {
      fault.failed.incrementAndGet();
      throw new FileSystemException(file.toString(), null, "No space left on device");
    }
  }
}
