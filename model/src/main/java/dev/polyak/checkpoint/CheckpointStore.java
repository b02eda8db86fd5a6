package dev.polyak.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of one training run, one safetensors file each in a folder: {@code ckpt-<step, 10
 * digits>.safetensors}; around a pruning event at a step, {@code
 * ckpt-<step>-prune-before.safetensors} (the model just before it) and {@code
 * ckpt-<step>-prune.safetensors} (just after, what training continues from).
 *
 * <p>A save writes {@code .ckpt-*.tmp}, forces it to disk and renames it to its final name in one
 * atomic step, so a final name never holds a partial file; then the retention policy deletes old
 * checkpoints. Checkpoints are ordered by step, and at the same step a pruning checkpoint comes
 * after the regular one, and the after-pruning one after the before-pruning one. {@link
 * #latestValid} skips corrupt files with a warning, so a run killed mid-save resumes from the
 * checkpoint before.
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final Pattern NAME =
      Pattern.compile("ckpt-(\\d{10,19})(-prune(-before)?)?\\.safetensors");
  private static final String TEMP_PREFIX = ".ckpt-";
  private static final String TEMP_SUFFIX = ".tmp";
  private static final Comparator<Path> BY_STEP =
      Comparator.comparingLong((Path p) -> parseName(p).step())
          .thenComparingInt(p -> parseName(p).phase());

  private final Path folder;
  private final RetentionPolicy retention;

  public CheckpointStore(Path folder, RetentionPolicy retention) {
    this.folder = folder;
    this.retention = retention;
  }

  public Path folder() {
    return folder;
  }

  /** A checkpoint and the file it was read from. */
  public record Located(Path file, Checkpoint checkpoint) {}

  /**
   * The checkpoint a user names: the file itself, or the newest valid checkpoint of a folder; read
   * and verified once.
   *
   * @throws IllegalArgumentException naming the path if it does not exist or the folder holds no
   *     valid checkpoint
   */
  public static Located locate(Path path) {
    if (Files.isDirectory(path)) {
      return new CheckpointStore(path, RetentionPolicy.keepAll())
          .latestValidFile(Long.MAX_VALUE)
          .orElseThrow(() -> new IllegalArgumentException("no valid checkpoint in " + path));
    }
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("checkpoint " + path + " does not exist");
    }
    return new Located(
        path,
        new CheckpointStore(path.toAbsolutePath().getParent(), RetentionPolicy.keepAll())
            .load(path));
  }

  /**
   * The file name of the checkpoint at {@code step}, e.g. {@code
   * ckpt-0000001200-prune.safetensors}.
   */
  public static String fileName(long step, boolean pruning) {
    return String.format(Locale.ROOT, "ckpt-%010d%s.safetensors", step, pruning ? "-prune" : "");
  }

  /**
   * Writes {@code checkpoint} atomically (replacing a checkpoint of the same name), then applies
   * the retention policy; never deletes the file just written.
   *
   * @return the checkpoint's file
   */
  public Path save(Checkpoint checkpoint) {
    return write(folder.resolve(fileName(checkpoint.step(), checkpoint.pruning())), checkpoint);
  }

  /**
   * Writes the checkpoint of the model just before a pruning event, {@code
   * ckpt-<step>-prune-before.safetensors}, as {@link #save} does.
   *
   * @throws IllegalArgumentException if {@code checkpoint} is not marked as a pruning checkpoint
   */
  public Path saveBeforePruning(Checkpoint checkpoint) {
    if (!checkpoint.pruning()) {
      throw new IllegalArgumentException(
          "the checkpoint before a pruning event must be marked as a pruning checkpoint");
    }
    return write(folder.resolve(beforePruningFileName(checkpoint.step())), checkpoint);
  }

  /** The file name of the checkpoint just before the pruning event at {@code step}. */
  public static String beforePruningFileName(long step) {
    return String.format(Locale.ROOT, "ckpt-%010d-prune-before.safetensors", step);
  }

  private Path write(Path file, Checkpoint checkpoint) {
    CheckpointCodec.write(file, TEMP_PREFIX, checkpoint);
    LOG.info("saved checkpoint {} (step {})", file, checkpoint.step());
    applyRetention(file);
    return file;
  }

  /** The checkpoint files, oldest first; temporary files and other names are left out. */
  public List<Path> list() {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(p -> isCheckpointName(p))
          .filter(Files::isRegularFile)
          .sorted(BY_STEP)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + folder, e);
    }
  }

  /**
   * Reads and verifies one checkpoint.
   *
   * @throws CheckpointFormatException if the file is truncated, corrupt, or its name disagrees with
   *     its contents
   */
  public Checkpoint load(Path file) {
    Checkpoint checkpoint = CheckpointCodec.read(file);
    if (isCheckpointName(file)) {
      ParsedName name = parseName(file);
      if (name.step() != checkpoint.step() || name.pruning() != checkpoint.pruning()) {
        throw new CheckpointFormatException(
            file,
            "the name says step "
                + name.step()
                + (name.pruning() ? " (pruning)" : "")
                + " but the contents say step "
                + checkpoint.step()
                + (checkpoint.pruning() ? " (pruning)" : ""));
      }
    }
    return checkpoint;
  }

  /**
   * The newest checkpoint that reads and verifies; a corrupt or truncated one is skipped with a
   * warning naming the file and the reason. Temporary files are ignored (see {@link
   * #deleteTemporaryFiles}).
   */
  public Optional<Checkpoint> latestValid() {
    return latestValid(Long.MAX_VALUE);
  }

  /**
   * As {@link #latestValid()}, among the checkpoints at step {@code atMostStep} or before (for a
   * reader that needs room to continue from it, or one given step).
   */
  public Optional<Checkpoint> latestValid(long atMostStep) {
    return latestValidFile(atMostStep).map(Located::checkpoint);
  }

  /** As {@link #latestValid(long)}, with the file it was read from. */
  public Optional<Located> latestValidFile(long atMostStep) {
    List<Path> files = list();
    for (int i = files.size() - 1; i >= 0; i--) {
      Path file = files.get(i);
      if (parseName(file).step() > atMostStep) {
        continue;
      }
      try {
        return Optional.of(new Located(file, load(file)));
      } catch (CheckpointFormatException e) {
        LOG.warn("skipping corrupt checkpoint {}: {}", file, e.problem());
      } catch (UncheckedIOException e) {
        LOG.warn("skipping unreadable checkpoint {}: {}", file, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /**
   * Deletes the {@code .ckpt-*.tmp} files a killed save left behind. Call it when resuming the run
   * that owns the folder, not from a reader that may run beside a writer.
   *
   * @return how many files were deleted
   */
  public int deleteTemporaryFiles() {
    if (!Files.isDirectory(folder)) {
      return 0;
    }
    int deleted = 0;
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.startsWith(TEMP_PREFIX)
            && name.endsWith(TEMP_SUFFIX)
            && Files.deleteIfExists(file)) {
          LOG.info("deleted the partial checkpoint {} left by an interrupted save", file);
          deleted++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete temporary files in " + folder, e);
    }
    return deleted;
  }

  private void applyRetention(Path justSaved) {
    List<Path> candidates = new ArrayList<>();
    for (Path file : list()) {
      ParsedName name = parseName(file);
      if (!retention.protects(name.pruning(), name.step())) {
        candidates.add(file);
      }
    }
    int surplus = candidates.size() - retention.lastRegular();
    for (int i = 0; i < surplus; i++) {
      Path old = candidates.get(i);
      if (old.equals(justSaved)) {
        continue;
      }
      try {
        Files.deleteIfExists(old);
        LOG.info("retention deleted checkpoint {}", old);
      } catch (IOException e) {
        LOG.warn("retention cannot delete checkpoint {}: {}", old, e.toString());
      }
    }
  }

  /**
   * @param phase 0 regular, 1 before a pruning event, 2 after it: the order at one step
   */
  private record ParsedName(long step, boolean pruning, int phase) {}

  /** The step a checkpoint file's name says, without reading the file. */
  public static long stepOf(Path file) {
    return parseName(file).step();
  }

  private static boolean isCheckpointName(Path file) {
    Matcher matcher = NAME.matcher(file.getFileName().toString());
    if (!matcher.matches()) {
      return false;
    }
    try {
      Long.parseLong(matcher.group(1));
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static ParsedName parseName(Path file) {
    Matcher matcher = NAME.matcher(file.getFileName().toString());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(file + " is not a checkpoint file name");
    }
    boolean pruning = matcher.group(2) != null;
    return new ParsedName(
        Long.parseLong(matcher.group(1)), pruning, !pruning ? 0 : matcher.group(3) != null ? 1 : 2);
  }
}
