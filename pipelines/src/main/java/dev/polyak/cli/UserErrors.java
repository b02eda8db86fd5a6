package dev.polyak.cli;

import dev.polyak.BadInputException;
import dev.polyak.checkpoint.CheckpointFormatException;
import dev.polyak.pipelines.JobFailures;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The one line a user reads for a mistake of theirs or of their machine, found in whatever a
 * command threw: refused input ({@link BadInputException}, which the sweep lock and every other
 * refusal use), a damaged checkpoint, and the file-system errors that name a path (a file where a
 * folder is expected, a missing or unwritable folder, a full disk). Anything else is a defect of
 * polyak and keeps its stack trace.
 */
final class UserErrors {
  /**
   * The reasons the operating system gives, as Java reports them in an {@code IOException} without
   * a path (a full disk while writing) or in a {@link FileSystemException}'s reason.
   */
  private static final Set<String> SYSTEM_REASONS =
      Set.of(
          "No space left on device",
          "Disk quota exceeded",
          "Read-only file system",
          "Is a directory",
          "Not a directory",
          "Permission denied",
          "File too large",
          "Input/output error",
          "Stale file handle",
          "Too many open files",
          "Operation not permitted");

  private UserErrors() {}

  /**
   * The line for {@code failure} (without the {@code polyak: error:} prefix), or empty for a
   * defect.
   */
  static Optional<String> describe(Throwable failure) {
    Optional<BadInputException> bad = JobFailures.badInput(failure);
    if (bad.isPresent() && bad.get().getMessage() != null) {
      return Optional.of(bad.get().getMessage());
    }
    List<Throwable> chain = chain(failure);
    for (Throwable t : chain) {
      if (t instanceof CheckpointFormatException) {
        return Optional.of(t.getMessage());
      }
    }
    Optional<String> io = fileSystem(chain);
    if (io.isPresent()) {
      return io;
    }
    if (failure instanceof IllegalArgumentException) {
      return Optional.ofNullable(failure.getMessage());
    }
    return Optional.empty();
  }

  /**
   * Whether the line for {@code failure} is about the file system rather than about refused input.
   */
  static boolean isFileSystemProblem(Throwable failure) {
    return JobFailures.badInput(failure).isEmpty() && fileSystem(chain(failure)).isPresent();
  }

  /**
   * "what was being done: path: problem" from the innermost file-system error and the nearest
   * message around it that says what polyak was doing ("cannot write …/ckpt-18.safetensors").
   */
  private static Optional<String> fileSystem(List<Throwable> chain) {
    for (int i = chain.size() - 1; i >= 0; i--) {
      Optional<String> problem = problem(chain.get(i));
      if (problem.isEmpty()) {
        continue;
      }
      String context = context(chain, i);
      String line = problem.get();
      if (context == null) {
        return Optional.of(line);
      }
      // "cannot write X: X: no space left" reads better as "cannot write X: no space left"
      Path file =
          chain.get(i) instanceof FileSystemException fs && fs.getFile() != null
              ? Path.of(fs.getFile())
              : null;
      if (file != null && context.contains(file.toString()) && line.startsWith(file + ": ")) {
        line = line.substring(file.toString().length() + 2);
      }
      return Optional.of(context + ": " + line);
    }
    return Optional.empty();
  }

  /** The problem one exception states, with its path, or empty if it is not a file-system error. */
  private static Optional<String> problem(Throwable t) {
    if (t instanceof dev.polyak.data.download.DownloadException) {
      return Optional.empty();
    }
    if (t instanceof FileSystemException fs) {
      String file = fs.getFile() == null ? "" : fs.getFile();
      String target = fs.getOtherFile() == null ? file : file + " -> " + fs.getOtherFile();
      return Optional.of(target + ": " + reason(fs, file));
    }
    if (t instanceof FileNotFoundException && t.getMessage() != null) {
      // "name (No such file or directory)"
      String message = t.getMessage();
      int open = message.lastIndexOf(" (");
      return Optional.of(
          open > 0 && message.endsWith(")")
              ? message.substring(0, open)
                  + ": "
                  + lower(message.substring(open + 2, message.length() - 1))
              : message);
    }
    if (t instanceof IOException
        && t.getMessage() != null
        && SYSTEM_REASONS.contains(t.getMessage())) {
      return Optional.of(lower(t.getMessage()));
    }
    return Optional.empty();
  }

  private static String reason(FileSystemException fs, String file) {
    if (fs instanceof NoSuchFileException) {
      return "no such file or folder";
    }
    if (fs instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (fs instanceof NotDirectoryException) {
      return "not a folder";
    }
    if (fs instanceof DirectoryNotEmptyException) {
      return "folder not empty";
    }
    if (fs instanceof FileAlreadyExistsException) {
      return !file.isEmpty() && Files.exists(Path.of(file)) && !Files.isDirectory(Path.of(file))
          ? "already exists and is not a folder"
          : "already exists";
    }
    String reason = fs.getReason() == null ? "cannot be used" : fs.getReason();
    if (reason.equals("Not a directory") && !file.isEmpty()) {
      // a parent of the path is a regular file: name it
      for (Path p = Path.of(file).toAbsolutePath().getParent(); p != null; p = p.getParent()) {
        if (Files.isRegularFile(p)) {
          return "its parent " + p + " is a file, not a folder";
        }
      }
    }
    return lower(reason);
  }

  /**
   * The message of the innermost wrapper of {@code chain.get(at)} that says more than its cause.
   */
  private static String context(List<Throwable> chain, int at) {
    for (int i = at - 1; i >= 0; i--) {
      Throwable wrapper = chain.get(i);
      String message = wrapper.getMessage();
      boolean own =
          message != null
              && !message.isBlank()
              && !message.contains(chain.get(i + 1).toString())
              && !message.contains("Exception");
      if (own && (wrapper instanceof UncheckedIOException || wrapper instanceof IOException)) {
        return message;
      }
    }
    return null;
  }

  private static List<Throwable> chain(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  private static String lower(String reason) {
    return reason.isEmpty()
        ? reason
        : reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
  }
}
