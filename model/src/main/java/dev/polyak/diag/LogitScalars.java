package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.Scalars;
import dev.polyak.random.RandomStream;

/**
 * The per-sample scalars of the function-space kernels ({@link KernelKind} other than {@code loss})
 * from a sample's logits: rows [m, C], one row for an image, one per masked position for a token
 * row, each scalar the mean over the rows. Trainers share it, so every model's kernel is the same
 * function of its logits. Holds the projection vectors on the device until {@link #close}.
 */
public final class LogitScalars implements AutoCloseable {
  private final KernelKind kernel;
  private final int width;

  /** [C, k], column j is v_j; null unless the kernel is projected. */
  private final NDArray projections;

  /**
   * @param width C, the logits per row (classes, or the vocabulary size)
   * @param stream where {@code projected:k} draws v_1..v_k, C normals each in order (read from its
   *     start; not touched for the other kernels)
   */
  public LogitScalars(KernelKind kernel, int width, RandomStream stream, NDManager manager) {
    if (kernel.output() == ScalarOutput.LOSS) {
      throw new IllegalArgumentException(
          "the loss kernel's scalar is the task loss, not a function of the logits");
    }
    this.kernel = kernel;
    this.width = width;
    if (kernel.projections() > 0) {
      float[] vectors = new float[kernel.projections() * width];
      stream.seek(0);
      stream.fillGaussian(vectors, 1f);
      // kept out of any scope: the backward pass of every probe reads it
      try (NDArray rows = manager.create(vectors, new Shape(kernel.projections(), width))) {
        projections = rows.transpose().duplicate();
      }
      NDScope.unregister(projections);
    } else {
      projections = null;
    }
  }

  public KernelKind kernel() {
    return kernel;
  }

  public int width() {
    return width;
  }

  /**
   * Scalar {@code j} of a sample with logits {@code logits} [m, C] and true classes {@code targets}
   * (m of them): mean_r logits[r, target_r] for target-logit, mean_r Σ_c logits[r, c] / √C for
   * pntk, mean_r v_jᵀ logits[r, :] for projected.
   */
  public NDArray scalar(NDArray logits, long[] targets, int j) {
    long rows = logits.getShape().get(0);
    if (logits.getShape().get(1) != width) {
      throw new IllegalArgumentException(
          "logits of width " + logits.getShape().get(1) + ", expected " + width);
    }
    return switch (kernel.output()) {
      case TARGET_LOGIT ->
          logits
              .gather(logits.getManager().create(targets, new Shape(targets.length, 1)), 1)
              .mean();
      case PNTK -> Scalars.div(logits.sum(), rows * Math.sqrt(width));
      case PROJECTED -> logits.matMul(projections.get(new NDIndex(":, {}:{}", j, j + 1))).mean();
      case LOSS -> throw new IllegalStateException("unreachable");
    };
  }

  @Override
  public void close() {
    if (projections != null) {
      projections.close();
    }
  }
}
