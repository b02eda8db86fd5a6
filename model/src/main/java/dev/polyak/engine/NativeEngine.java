package dev.polyak.engine;

import ai.djl.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place polyak loads PyTorch. Before DJL loads it, {@link EnginePreflight} checks that the
 * bundled native library runs on this machine; the GPU build falls back to its CPU library where no
 * CUDA GPU is usable (unless a GPU was asked for); whatever else fails becomes one line ({@link
 * EngineUnavailableException}) saying which build this is, what the machine offers and what to do,
 * where DJL would have said "Offline mode is enabled".
 */
public final class NativeEngine {
  private static final Logger LOG = LoggerFactory.getLogger(NativeEngine.class);
  private static volatile boolean loaded;
  private static GpuHost host;

  private NativeEngine() {}

  /**
   * Loads the PyTorch engine offline (from the native library on the class path) if not done yet.
   */
  public static void ensureLoaded() {
    if (!loaded) {
      load();
    }
  }

  /**
   * Refuses, before any work and without loading the engine, GPU work this build or this machine
   * cannot do: the CPU build, or the GPU build where DJL sees no CUDA runtime at least as new as
   * its own.
   */
  public static synchronized void checkGpu() {
    EnginePreflight.plan(NativeBuild.read(), host(), true);
  }

  private static synchronized void load() {
    if (loaded) {
      return;
    }
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    NativeBuild build = NativeBuild.read();
    if (EnginePreflight.plan(build, host(), false) == EnginePreflight.Plan.CPU_FALLBACK) {
      CpuFallback.select(build);
      LOG.info(
          "PyTorch {} runs on the CPU library of this build: this machine has no CUDA{} DJL can use ({})",
          build.pytorchVersion(),
          build.cudaFlavor().map(f -> " " + GpuHost.cudaVersion(f)).orElse(""),
          host().describe());
    }
    try {
      Engine.getEngine("PyTorch");
    } catch (RuntimeException | LinkageError e) {
      throw new EngineUnavailableException(
          EnginePreflight.cannotLoad(NativeBuild.read(), host(), rootMessage(e)), e);
    }
    loaded = true;
  }

  private static synchronized GpuHost host() {
    if (host == null) {
      host = GpuHost.read();
    }
    return host;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      message.append(": ").append(root.getMessage());
    }
    return message.toString().replaceAll("\\s+", " ");
  }
}
