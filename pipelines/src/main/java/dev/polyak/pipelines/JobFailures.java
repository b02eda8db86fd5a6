package dev.polyak.pipelines;

import dev.polyak.BadInputException;
import java.util.Optional;

/**
 * Finds the user-facing cause in what a runner throws. Flink wraps a DoFn's exception in several
 * layers (and may replace it by a serialized copy), so the {@link BadInputException} that names the
 * file and position is searched for by class and, failing that, by its printed name.
 */
public final class JobFailures {
  private static final String PREFIX = BadInputException.class.getName() + ": ";

  private JobFailures() {}

  public static Optional<BadInputException> badInput(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BadInputException bad) {
        return Optional.of(bad);
      }
      String text = t.toString();
      int at = text.indexOf(PREFIX);
      if (at >= 0) {
        return Optional.of(new BadInputException(text.substring(at + PREFIX.length()), failure));
      }
    }
    return Optional.empty();
  }
}
