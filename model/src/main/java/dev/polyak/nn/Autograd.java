package dev.polyak.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;

/**
 * Gradients without DJL's {@code GradientCollector}. DJL 0.36's PyTorch collector allows one
 * collector per JVM at a time (a static flag: "Only one can be collecting at a time") and zeroes
 * the gradients of every array of the process, so two training runs in one JVM (two DoFns on a
 * task manager, or a test) cannot both use it. PyTorch's grad mode is thread-local, so each
 * thread switches it for itself here and calls the engine's backward directly.
 */
public final class Autograd {
  private Autograd() {}

  /** Loads the PyTorch engine (offline: from the native jar on the classpath). */
  public static void ensureEngine() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Engine.getEngine("PyTorch");
  }

  /** Turns recording on or off for the calling thread until closed, then restores it. */
  public static Mode recording(boolean on) {
    ensureEngine();
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return () -> JniUtils.setGradMode(previous);
  }

  /** Back-propagates a scalar loss into the gradients of the arrays that require them. */
  public static void backward(NDArray loss) {
    try (NDArray seed = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    }
  }

  /** Sets the gradients of {@code arrays} to zero (with recording off). */
  public static void zeroGradients(Collection<NDArray> arrays) {
    try (Mode off = recording(false)) {
      for (NDArray a : arrays) {
        if (a.hasGradient()) {
          NDArray g = a.getGradient();
          g.subi(g);
        }
      }
    }
  }

  /** Restores the previous grad mode. */
  public interface Mode extends AutoCloseable {
    @Override
    void close();
  }
}
