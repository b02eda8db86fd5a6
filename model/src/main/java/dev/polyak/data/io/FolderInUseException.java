package dev.polyak.data.io;

import java.nio.file.Path;

/**
 * A folder whose {@link FolderLock} a live process holds; the folder and the holder are data, not
 * only words.
 */
public final class FolderInUseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path folder;
  private final transient LockHolder holder;

  public FolderInUseException(Path folder, LockHolder holder) {
    super(folder + " is in use by " + holder.describe());
    this.folder = folder;
    this.holder = holder;
  }

  public Path folder() {
    return folder;
  }

  public LockHolder holder() {
    return holder;
  }
}
