package dev.polyak.nn;

import ai.djl.pytorch.jni.JniUtils;

/** The engine's intra-op thread count for this process (PyTorch's setting is process-wide). */
public final class EngineThreads {
  private EngineThreads() {}

  /**
   * Sets intra-op threads to {@code threads} and inter-op threads to 1 before the engine does work.
   */
  public static void set(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Autograd.ensureEngine();
    JniUtils.setNumThreads(threads);
  }
}
