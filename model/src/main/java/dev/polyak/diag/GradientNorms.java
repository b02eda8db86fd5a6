package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Gradients of the probe set's task loss, batch by batch. */
public final class GradientNorms {
  /** What one pass over the probe batches saw. */
  record BatchStatistics(double[] losses, double[] gradientNorms) {
    BatchStatistics(int batches) {
      this(new double[batches], new double[batches]);
    }
  }

  private GradientNorms() {}

  /**
   * ∇ of the mean task loss over all probes: the batches' gradients (batches of {@code batchSize}
   * from probe 0) summed with weights (batch size / n), returned as detached arrays in parameter
   * order (not registered with any scope: the caller closes them). The parameters' own gradients
   * are zero afterwards.
   */
  public static List<NDArray> meanLossGradient(ProbeObjective objective, int batchSize) {
    return meanLossGradient(objective, batchSize, null);
  }

  /**
   * As {@link #meanLossGradient(ProbeObjective, int)}, also filling in each batch's loss and
   * gradient norm when {@code statistics} is non-null.
   */
  static List<NDArray> meanLossGradient(
      ProbeObjective objective, int batchSize, BatchStatistics statistics) {
    Collection<NDArray> parameters = objective.model().parameters().arrays();
    int n = objective.size();
    List<NDArray> sum = new ArrayList<>();
    int batch = 0;
    for (int from = 0; from < n; from += batchSize, batch++) {
      int to = Math.min(n, from + batchSize);
      Autograd.zeroGradients(parameters);
      double loss;
      try (NDScope scope = new NDScope()) {
        try (Autograd.Mode on = Autograd.recording(true)) {
          NDArray value = objective.loss(from, to);
          loss = value.getFloat();
          Autograd.backward(value);
        }
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        double squares = 0;
        int t = 0;
        float weight = (float) (to - from) / n;
        for (NDArray p : parameters) {
          // the scope closes the gradient's handle (a new one per call) and the temporaries
          try (NDScope scope = new NDScope()) {
            NDArray g = p.getGradient();
            if (statistics != null) {
              squares += g.toType(DataType.FLOAT64, false).square().sum().getDouble();
            }
            if (batch == 0) {
              NDArray first = g.mul(weight);
              NDScope.unregister(first);
              sum.add(first);
            } else {
              sum.get(t).addi(g.mul(weight));
            }
          }
          t++;
        }
        if (statistics != null) {
          statistics.losses()[batch] = loss;
          statistics.gradientNorms()[batch] = Math.sqrt(squares);
        }
      }
    }
    Autograd.zeroGradients(parameters);
    return sum;
  }

  static int batches(int n, int batchSize) {
    return (n + batchSize - 1) / batchSize;
  }

  static double squaredNorm(List<NDArray> arrays) {
    double squares = 0;
    try (Autograd.Mode off = Autograd.recording(false);
        NDScope scope = new NDScope()) {
      for (NDArray a : arrays) {
        squares += a.toType(DataType.FLOAT64, false).square().sum().getDouble();
      }
    }
    return squares;
  }
}
