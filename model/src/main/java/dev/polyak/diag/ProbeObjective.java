package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import dev.polyak.nn.MaskedModel;
import java.util.function.IntFunction;

/**
 * What diagnostics differentiate: a fixed probe set of n training samples, each giving one scalar
 * {@code f_b} (the rows of the Jacobian), and the task loss over probe ranges (for the Hessian
 * trace and the gradient norms). Built by a trainer ({@code Trainer.probes}), which knows its task;
 * the model is in evaluation mode (no dropout, running batch-norm statistics), so the samples do
 * not interact.
 */
public interface ProbeObjective {
  MaskedModel model();

  /** The number of probe samples n. */
  int size();

  /**
   * The scalar output {@code f_b} of probe {@code b} as selected by its {@link KernelKind}, with
   * the sample evaluated alone (a batch of one, so a mixture of experts computes its capacity for
   * that sample only); recorded when the thread's grad mode is on. {@code output(b, 0)}.
   */
  default NDArray output(int probe) {
    return output(probe, 0);
  }

  /**
   * Scalar {@code j} of probe {@code b}, {@code 0 <= j <} {@link #outputsPerProbe()} (the j-th
   * projection of {@code projected:k}), as {@link #output(int)}.
   */
  NDArray output(int probe, int j);

  /**
   * Σ_b f_{b,j} over probes {@code [from, to)} evaluated as one batch, each term the same function
   * of its sample as {@link #output(int, int)} (so the samples must not interact in the batch);
   * recorded when grad mode is on. Null when the objective has no such form (a mixture of experts,
   * whose expert capacity depends on the batch): callers then evaluate the probes one at a time.
   */
  default NDArray outputSum(int from, int to, int j) {
    return null;
  }

  /** How many scalars each probe gives; the kernel averages their Gram matrices. */
  default int outputsPerProbe() {
    return 1;
  }

  /**
   * The task loss (mean cross-entropy, without auxiliary terms such as Switch's load-balancing
   * loss) of probes {@code [from, to)} evaluated as one batch; recorded when grad mode is on.
   */
  NDArray loss(int from, int to);

  /** The loss of probes {@code [from, to)}, as {@link #loss}. */
  @FunctionalInterface
  interface RangeLoss {
    NDArray loss(int from, int to);
  }

  /** Σ of scalar {@code j} over a range of probes, as {@link #outputSum}. */
  @FunctionalInterface
  interface OutputSum {
    NDArray sum(int from, int to, int j);
  }

  /** Scalar {@code j} of a probe, as {@link #output(int, int)}. */
  @FunctionalInterface
  interface Output {
    NDArray output(int probe, int j);
  }

  /**
   * The objective of {@code size} probes of {@code model} whose outputs and losses these functions
   * compute.
   */
  static ProbeObjective of(
      MaskedModel model, int size, IntFunction<NDArray> output, RangeLoss loss) {
    return of(model, size, 1, (probe, j) -> output.apply(probe), loss);
  }

  /**
   * As {@link #of(MaskedModel, int, IntFunction, RangeLoss)}, with {@code outputs} scalars per
   * probe.
   */
  static ProbeObjective of(
      MaskedModel model, int size, int outputs, Output output, RangeLoss loss) {
    return of(model, size, outputs, output, null, loss);
  }

  /**
   * As {@link #of(MaskedModel, int, int, Output, RangeLoss)}, with the batched sum of the outputs
   * ({@link #outputSum}; null when the samples interact in a batch).
   */
  static ProbeObjective of(
      MaskedModel model,
      int size,
      int outputs,
      Output output,
      OutputSum outputSum,
      RangeLoss loss) {
    if (outputs < 1) {
      throw new IllegalArgumentException("a probe gives at least one scalar, got " + outputs);
    }
    return new ProbeObjective() {
      @Override
      public MaskedModel model() {
        return model;
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public NDArray output(int probe, int j) {
        return output.output(probe, j);
      }

      @Override
      public NDArray outputSum(int from, int to, int j) {
        return outputSum == null ? null : outputSum.sum(from, to, j);
      }

      @Override
      public int outputsPerProbe() {
        return outputs;
      }

      @Override
      public NDArray loss(int from, int to) {
        return loss.loss(from, to);
      }
    };
  }

  /** The first {@code m} probes of this objective (all of them when m ≥ n). */
  default ProbeObjective first(int m) {
    return m >= size()
        ? this
        : of(model(), m, outputsPerProbe(), this::output, this::outputSum, this::loss);
  }
}
