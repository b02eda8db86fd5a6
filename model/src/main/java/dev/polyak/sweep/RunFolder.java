package dev.polyak.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.BadInputException;
import dev.polyak.io.AtomicFiles;
import dev.polyak.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a sweep knows about one run's folder ({@code <out>/runs/<run_id>/}) besides what {@link
 * TrainingRun} writes there: {@code sweep-run.json} (attempts, the last attempt's worker, device,
 * wall time and resume step) and {@code failure.json} (the error of a run whose last attempt
 * failed). {@code result.json} (FINISHED or DIVERGED) is {@link TrainingRun}'s. Every file is
 * written atomically, so a worker killed at any point leaves each either old or new.
 */
public final class RunFolder {
  static final String STATE = "sweep-run.json";
  static final String FAILURE = "failure.json";
  static final String RESULT = "result.json";
  static final String PAST_STOP = "resumed-past-stop.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How the run stands, from its files. */
  public enum Recorded {
    NONE,
    FINISHED,
    DIVERGED,
    FAILED,
    /** Stopped early at a rung ({@code result.json} says where); its checkpoint there is kept. */
    STOPPED
  }

  /**
   * The sweep's bookkeeping of the run.
   *
   * @param attempts how many times a worker started training the run in this folder
   * @param worker host/pid of the last attempt
   * @param device the engine device of the last attempt
   * @param wallSeconds wall time of the last attempt
   * @param resumedFromStep the step the last attempt resumed from (0 = from scratch)
   */
  public record State(
      int attempts, String worker, String device, double wallSeconds, long resumedFromStep) {
    static State none() {
      return new State(0, "", "", 0, 0);
    }
  }

  /** A failed attempt: the error's class and message and the attempt it ended. */
  public record Failure(String error, int attempt) {}

  private final Path folder;

  public RunFolder(Path folder) {
    this.folder = folder;
  }

  public Path path() {
    return folder;
  }

  /**
   * FINISHED, DIVERGED or STOPPED from {@code result.json}, else FAILED if {@code failure.json}
   * exists, else NONE.
   */
  public Recorded recorded() {
    return result()
        .map(
            r ->
                switch (r.status()) {
                  case FINISHED -> Recorded.FINISHED;
                  case DIVERGED -> Recorded.DIVERGED;
                  case STOPPED -> Recorded.STOPPED;
                })
        .orElse(Files.exists(folder.resolve(FAILURE)) ? Recorded.FAILED : Recorded.NONE);
  }

  /**
   * Forgets a STOPPED outcome so that the run resumes from its checkpoint at the rung, and marks
   * the folder so that early stopping leaves the run alone from then on ({@code --rerun-stopped}
   * trains it to the end; its decisions stay in the sweep's log).
   */
  public void resumePastStop() {
    TrainingRun.Result stopped = result().orElseThrow();
    write(PAST_STOP, java.util.Map.of("stopped_at_step", stopped.stoppedAtStep()));
    try {
      Files.delete(folder.resolve(RESULT));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reset " + folder, e);
    }
  }

  /** Whether {@code --rerun-stopped} resumed this run past a stop: early stopping skips it. */
  public boolean resumedPastStop() {
    return Files.exists(folder.resolve(PAST_STOP));
  }

  /** The run's {@code result.json}, when it ended FINISHED or DIVERGED. */
  public Optional<TrainingRun.Result> result() {
    return Files.exists(folder.resolve(RESULT))
        ? Optional.of(TrainingRun.readResult(folder))
        : Optional.empty();
  }

  public State state() {
    return read(STATE, State.class).orElse(State.none());
  }

  public Optional<Failure> failure() {
    return read(FAILURE, Failure.class);
  }

  /**
   * Records the start of an attempt on {@code worker} (host/pid) and {@code device}, so that an
   * attempt in progress says where it runs, and returns its number (1 for the first).
   */
  public int startAttempt(String worker, String device) {
    State before = state();
    int attempt = before.attempts() + 1;
    writeState(new State(attempt, worker, device, before.wallSeconds(), before.resumedFromStep()));
    return attempt;
  }

  public void writeState(State state) {
    write(STATE, state);
  }

  public void recordFailure(Throwable error, int attempt) {
    String message = error.getClass().getSimpleName() + ": " + error.getMessage();
    write(FAILURE, new Failure(message, attempt));
  }

  /**
   * Forgets a recorded FAILED or DIVERGED outcome so that the run is trained again: a failed run
   * starts over from its newest valid checkpoint; a diverged one resumes from its newest valid
   * checkpoint before the divergence (useful after a fix; with the same code it diverges again).
   */
  public void forgetOutcome() {
    try {
      Files.deleteIfExists(folder.resolve(FAILURE));
      if (recorded() == Recorded.DIVERGED) {
        Files.delete(folder.resolve(RESULT));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reset " + folder, e);
    }
  }

  /** Removes {@code failure.json} once an attempt succeeded. */
  public void clearFailure() {
    try {
      Files.deleteIfExists(folder.resolve(FAILURE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + folder.resolve(FAILURE), e);
    }
  }

  private <T> Optional<T> read(String name, Class<T> type) {
    return readJson(folder.resolve(name), type);
  }

  /** A JSON file of the sweep's bookkeeping, when it exists; an unreadable one is bad input. */
  static <T> Optional<T> readJson(Path file, Class<T> type) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), type));
    } catch (IOException e) {
      throw new BadInputException(file + ": unreadable (" + e.getMessage() + ")");
    }
  }

  private void write(String name, Object value) {
    try {
      Files.createDirectories(folder);
      AtomicFiles.writeString(folder.resolve(name), JSON.writeValueAsString(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + folder.resolve(name), e);
    }
  }
}
