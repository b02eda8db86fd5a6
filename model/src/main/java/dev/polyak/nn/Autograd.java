package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.polyak.engine.NativeEngine;
import java.util.Collection;

/**
 * Gradients without DJL's {@code GradientCollector}. DJL 0.36's PyTorch collector allows one
 * collector per JVM at a time (a static flag: "Only one can be collecting at a time") and zeroes
 * the gradients of every array of the process, so two training runs in one JVM (two DoFns on a task
 * manager, or a test) cannot both use it. PyTorch's grad mode is thread-local, so each thread
 * switches it for itself here and calls the engine's backward directly.
 */
public final class Autograd {
  private Autograd() {}

  /** Loads the PyTorch engine offline, or fails with one line saying why ({@link NativeEngine}). */
  public static void ensureEngine() {
    NativeEngine.ensureLoaded();
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

  /** Sets the gradients of {@code arrays} to zero (see {@link #zeroGradient}). */
  public static void zeroGradients(Collection<NDArray> arrays) {
    for (NDArray a : arrays) {
      zeroGradient(a);
    }
  }

  /**
   * Sets {@code array}'s gradient to exactly zero in place (PyTorch's {@code grad.zero_()}), if it
   * has one. Subtracting the gradient from itself, as this once did, leaves NaN wherever the
   * gradient was infinite, and every later step then accumulates into NaN.
   */
  public static void zeroGradient(NDArray array) {
    if (array.hasGradient()) {
      JniUtils.zeroGrad((PtNDArray) array);
    }
  }

  /**
   * Scales the gradients of {@code arrays} so that their global L2 norm is at most {@code maxNorm}
   * (as {@code torch.nn.utils.clip_grad_norm_}); returns the norm before clipping.
   */
  public static double clipGradientNorm(Collection<NDArray> arrays, double maxNorm) {
    try (Mode off = recording(false);
        ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
      double squares = 0;
      for (NDArray a : arrays) {
        squares += a.getGradient().square().sum().getFloat();
      }
      double norm = Math.sqrt(squares);
      if (norm > maxNorm) {
        float scale = (float) (maxNorm / (norm + 1e-6));
        for (NDArray a : arrays) {
          a.getGradient().muli(scale);
        }
      }
      return norm;
    }
  }

  /** Restores the previous grad mode. */
  public interface Mode extends AutoCloseable {
    @Override
    void close();
  }
}
