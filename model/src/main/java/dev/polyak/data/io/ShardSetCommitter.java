package dev.polyak.data.io;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Makes a shard set appear all at once. Every file is written under a temporary folder inside the
 * output folder ({@code .polyak-tmp-<id>}); {@link #commit} removes the old set's manifest first,
 * moves the new files in and the new {@code manifest.json} last. A shard set is complete exactly
 * when its manifest is there: a run killed at any point leaves either the old complete set, or
 * files without a manifest (and a {@code .polyak-tmp-*} folder), never a half set that looks
 * complete.
 */
public final class ShardSetCommitter {
  public static final String MANIFEST = "manifest.json";
  public static final String VOCABULARY = "vocab.txt";
  private static final String TEMP_PREFIX = ".polyak-tmp-";

  private ShardSetCommitter() {}

  /**
   * Checks that {@code out} may receive a shard set and creates the temporary folder for it.
   *
   * @throws BadInputException if {@code out} is a file, or already holds a shard set and {@code
   *     overwrite} is false
   */
  public static Path prepare(Path out, boolean overwrite) {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new BadInputException("output " + out + " exists and is not a folder");
    }
    refuseExistingSet(out, overwrite);
    try {
      Files.createDirectories(out);
      return Files.createDirectory(out.resolve(TEMP_PREFIX + UUID.randomUUID()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the output folder " + out, e);
    }
  }

  /**
   * Moves every file of {@code temp} into {@code out}, the manifest last, and removes {@code temp}.
   */
  public static void commit(Path temp, Path out, boolean overwrite) {
    refuseExistingSet(out, overwrite);
    try {
      Files.deleteIfExists(out.resolve(MANIFEST));
      for (Path old : ownedFiles(out)) {
        Files.delete(old);
      }
      List<Path> files = listFiles(temp);
      for (Path file : files) {
        if (!file.getFileName().toString().equals(MANIFEST)) {
          move(file, out);
        }
      }
      Path manifest = temp.resolve(MANIFEST);
      if (Files.exists(manifest)) {
        move(manifest, out);
      }
      Files.delete(temp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move the shard set from " + temp + " into " + out, e);
    }
  }

  /** Removes a temporary folder and everything in it; used when a run fails. */
  public static void abandon(Path temp) {
    if (!Files.exists(temp)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(temp)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the temporary folder " + temp, e);
    }
  }

  private static void refuseExistingSet(Path out, boolean overwrite) {
    if (overwrite || !Files.isDirectory(out)) {
      return;
    }
    List<Path> owned = ownedFiles(out);
    boolean hasManifest = Files.exists(out.resolve(MANIFEST));
    if (hasManifest || !owned.isEmpty()) {
      throw new BadInputException(
          "output folder "
              + out
              + " already holds a shard set ("
              + (hasManifest ? "manifest.json, " : "")
              + owned.size()
              + " shard/vocabulary files); pass --overwrite to replace it");
    }
  }

  private static List<Path> ownedFiles(Path out) {
    List<Path> owned = new ArrayList<>();
    for (Path file : listFiles(out)) {
      String name = file.getFileName().toString();
      if (ShardPlan.isShardFileName(name) || name.equals(VOCABULARY)) {
        owned.add(file);
      }
    }
    return owned;
  }

  private static List<Path> listFiles(Path folder) {
    try (Stream<Path> list = Files.list(folder)) {
      return list.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }

  private static void move(Path file, Path folder) throws IOException {
    Files.move(
        file,
        folder.resolve(file.getFileName()),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }
}
