package dev.polyak.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a file so that its final name only ever holds complete contents: the bytes go to a
 * temporary file in the same folder, are forced to disk, and the temporary file is renamed over the
 * target in one atomic step; the folder is then forced so that the rename survives a power cut.
 */
public final class AtomicFiles {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

  private AtomicFiles() {}

  /** Fills a channel open for writing at position 0. */
  @FunctionalInterface
  public interface ChannelWriter {
    void write(FileChannel channel) throws IOException;
  }

  /**
   * Writes UTF-8 {@code text} to {@code target} atomically (temporary file {@code .<name>-*.tmp}).
   */
  public static void writeString(Path target, String text) {
    writeBytes(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Writes {@code bytes} to {@code target} atomically (temporary file {@code .<name>-*.tmp}). */
  public static void writeBytes(Path target, byte[] bytes) {
    write(
        target,
        "." + target.getFileName() + "-",
        channel -> {
          java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        });
  }

  /**
   * Writes UTF-8 {@code text} to {@code target} unless it exists, atomically: complete contents
   * under a temporary name, then a hard link to {@code target} (which fails when another writer got
   * there first). Returns whether this call wrote it.
   */
  public static boolean writeStringOnce(Path target, String text) {
    Path temp =
        target.resolveSibling(
            "." + target.getFileName() + "-" + java.util.UUID.randomUUID() + ".once");
    writeString(temp, text);
    try {
      Files.createLink(target, temp);
      forceFolder(target.toAbsolutePath().getParent());
      return true;
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /** Writes {@code target} through a temporary file named {@code <tempPrefix>*.tmp}. */
  public static void write(Path target, String tempPrefix, ChannelWriter writer) {
    Path folder = target.toAbsolutePath().getParent();
    Path temp = null;
    try {
      Files.createDirectories(folder);
      // createTempFile makes the file private (0600); the files polyak writes (shards, checkpoints,
      // reports) are
      // meant to be read by the other users and services of a shared file system, as any new file
      // would be.
      temp = Files.createTempFile(folder, tempPrefix, ".tmp");
      readableByAll(temp);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        WriteFaults.beforeWrite(target);
        writer.write(channel);
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
      forceFolder(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    } finally {
      if (temp != null) {
        deleteQuietly(temp);
      }
    }
  }

  /** rw-r--r-- where the file system has POSIX permissions (a no-op elsewhere). */
  private static void readableByAll(Path file) throws IOException {
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(
          file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  /** Forces a folder's entries to disk; some platforms cannot open a folder, which is harmless. */
  private static void forceFolder(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot force folder {} to disk: {}", folder, e.toString());
    }
  }

  private static void deleteQuietly(Path temp) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      LOG.warn("cannot delete the temporary file {}: {}", temp, e.toString());
    }
  }
}
