package dev.polyak.data.download;

/**
 * Receives download progress. Called from the downloading thread after every chunk written, so
 * implementations should be cheap (throttle any printing themselves).
 */
@FunctionalInterface
public interface ProgressListener {

  /** A listener that ignores all progress. */
  ProgressListener NONE = (bytesDone, totalBytes) -> {};

  /**
   * @param bytesDone bytes of the archive now on disk, including any resumed prefix
   * @param totalBytes the archive's full size, or {@code -1} when unknown
   */
  void onProgress(long bytesDone, long totalBytes);
}
