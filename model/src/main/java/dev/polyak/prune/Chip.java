package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The {@code chip} importance, channel independence (Sui, Yin, Xie, Phan, Zonouz and Yuan, "CHIP:
 * CHannel Independence-based Pruning for Compact Neural Networks", NeurIPS 2021): for a
 * convolution's feature maps A (channels × (samples·H·W), the ReLU of the masked output on the
 * scoring samples),
 *
 * <pre>score_c = ‖A‖_* − ‖A with row c set to zero‖_*,</pre>
 *
 * ‖·‖_* the nuclear norm. A channel that the others nearly span removes little and goes first.
 *
 * <p>Computation: A is never formed; the scoring batches add up its Gram matrix G = A Aᵀ in
 * float64. The singular values of A are the square roots of G's eigenvalues (EJML's symmetric
 * eigensolver; rounding below zero is read as zero), and zeroing row c of A leaves the Gram matrix
 * of G without row and column c, whose eigenvalues follow from G's eigendecomposition by
 * interlacing ({@link #minorEigenvalues}): one decomposition per layer, not one per channel. One
 * matrix over all scoring samples, where the authors' code averages per-image nuclear norms.
 *
 * <p>Only for models with convolution filters ({@link MaskedModel#observeFeatureMaps}); a masked
 * channel is all zeros and scores 0, as does a filter sliced out of a compacted model. Weights,
 * masks and gates are left as they were.
 */
public final class Chip implements Importance {
  @Override
  public double[] scores(ScoringContext context) {
    MaskedModel model = context.model();
    Map<Integer, double[][]> grams = new TreeMap<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      model.observeFeatureMaps((maps, layer) -> add(grams, maps, layer));
      try {
        for (int b = 0; b < context.batches(); b++) {
          try (NDScope scope = new NDScope()) {
            context.data().loss(context.batchFrom(b), context.batchTo(b));
          }
        }
      } finally {
        model.observeFeatureMaps(null);
      }
    }
    Map<Integer, double[]> independence = new TreeMap<>();
    grams.forEach((layer, gram) -> independence.put(layer, independence(gram)));
    List<Structure> structures = model.structures();
    double[] scores = new double[structures.size()];
    for (int s = 0; s < scores.length; s++) {
      Structure structure = structures.get(s);
      double[] layer = independence.get(structure.layer());
      if (layer == null || structure.kind() != Structure.Kind.FILTER) {
        throw new IllegalArgumentException(
            "chip scores convolution filters by their feature maps; "
                + structure.id()
                + " has none");
      }
      // a filter sliced out of the tensors has no channel: it scores 0, as a masked one does
      int channel = (int) model.compaction().encode(structure.layer())[structure.index()];
      scores[s] = channel < 0 ? 0 : layer[channel];
    }
    return scores;
  }

  /**
   * Adds the Gram matrix of the ReLU of {@code maps} ([batch, C, H, W]) to layer {@code layer}'s.
   */
  private static void add(Map<Integer, double[][]> grams, NDArray maps, int layer) {
    int channels = (int) maps.getShape().get(1);
    double[] gram;
    try (NDScope scope = new NDScope()) {
      NDArray a =
          Activation.relu(maps)
              .toType(DataType.FLOAT64, false)
              .transpose(1, 0, 2, 3)
              .reshape(channels, -1);
      gram = a.matMul(a.transpose()).toDoubleArray();
    }
    double[][] sum = grams.computeIfAbsent(layer, l -> new double[channels][channels]);
    for (int i = 0; i < channels; i++) {
      for (int j = 0; j < channels; j++) {
        sum[i][j] += gram[i * channels + j];
      }
    }
  }

  /**
   * Each channel's independence from the Gram matrix G = A Aᵀ of its layer's feature maps: ‖A‖_*
   * minus the nuclear norm with the channel's row zeroed, the sum of the square roots of the
   * eigenvalues of G without row and column c ({@link #minorEigenvalues}).
   */
  public static double[] independence(double[][] gram) {
    int n = gram.length;
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(new DMatrixRMaj(gram))) {
      throw new IllegalStateException(
          "chip: the eigendecomposition of a " + n + "-channel Gram matrix did not converge");
    }
    Integer[] order = new Integer[n];
    for (int k = 0; k < n; k++) {
      order[k] = k;
    }
    java.util.Arrays.sort(
        order, java.util.Comparator.comparingDouble(k -> eig.getEigenvalue(k).getReal()));
    double[] lambda = new double[n];
    double[][] vectors = new double[n][];
    for (int k = 0; k < n; k++) {
      lambda[k] = eig.getEigenvalue(order[k]).getReal();
      vectors[k] = eig.getEigenVector(order[k]).getData();
    }
    double full = sumOfRoots(lambda);
    double[] scores = new double[n];
    double[] weights = new double[n];
    for (int c = 0; c < n; c++) {
      for (int k = 0; k < n; k++) {
        weights[k] = vectors[k][c] * vectors[k][c];
      }
      scores[c] = full - sumOfRoots(minorEigenvalues(lambda, weights));
    }
    return scores;
  }

  /**
   * The eigenvalues of a symmetric matrix without row and column c, from its eigenvalues λ
   * (ascending) and the squares w_k of the c-th entries of its unit eigenvectors: by Cauchy's
   * interlacing they are the roots of f(μ) = Σ_k w_k / (λ_k − μ), one between each two consecutive
   * poles, found by bisection (f increases from −∞ to +∞ there), plus every eigenvalue that is not
   * a pole: one of each cluster of equal λ (within 1e-12 of the largest |λ|) is a pole of the
   * cluster's summed weight, the others stay, and a cluster of weight below 1e-14 stays whole. One
   * O(n³) eigendecomposition of G and O(n² · 60) per channel, where an eigendecomposition of each
   * minor would cost O(n⁴) per layer (over an hour for a 512-filter layer).
   */
  static double[] minorEigenvalues(double[] lambda, double[] weights) {
    int n = lambda.length;
    double scale = Math.max(Math.abs(lambda[0]), Math.abs(lambda[n - 1]));
    double tolerance = 1e-12 * scale;
    double[] eigenvalues = new double[n - 1];
    int found = 0;
    double[] poles = new double[n];
    double[] poleWeights = new double[n];
    int m = 0;
    for (int k = 0; k < n; ) {
      int end = k + 1;
      double weight = weights[k];
      while (end < n && lambda[end] - lambda[k] <= tolerance) {
        weight += weights[end++];
      }
      for (int j = k + 1; j < end; j++) {
        eigenvalues[found++] = lambda[k];
      }
      if (weight > 1e-14) {
        poles[m] = lambda[k];
        poleWeights[m++] = weight;
      } else {
        eigenvalues[found++] = lambda[k];
      }
      k = end;
    }
    for (int i = 0; i + 1 < m; i++) {
      double lo = poles[i];
      double hi = poles[i + 1];
      for (int iteration = 0;
          iteration < 200 && hi - lo > 1e-15 * Math.max(scale, Double.MIN_NORMAL);
          iteration++) {
        double mid = 0.5 * (lo + hi);
        double f = 0;
        for (int j = 0; j < m; j++) {
          f += poleWeights[j] / (poles[j] - mid);
        }
        if (f < 0) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      eigenvalues[found++] = 0.5 * (lo + hi);
    }
    if (found != n - 1) {
      throw new IllegalStateException(
          "chip: " + found + " eigenvalues for a minor of " + n + " channels");
    }
    return eigenvalues;
  }

  /**
   * Σ √max(λ, 0): the nuclear norm of A from the eigenvalues of A Aᵀ (rounding below zero read as
   * zero).
   */
  private static double sumOfRoots(double[] eigenvalues) {
    double sum = 0;
    for (double value : eigenvalues) {
      sum += Math.sqrt(Math.max(0, value));
    }
    return sum;
  }
}
