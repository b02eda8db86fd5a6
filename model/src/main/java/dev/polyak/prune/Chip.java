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
 * eigensolver, values only; rounding below zero is read as zero), and zeroing row c of A leaves
 * the Gram matrix of G without row and column c, so each score is one eigendecomposition of a
 * (channels − 1)-square matrix: C + 1 of them per layer, about C⁴ operations. One matrix over all scoring samples, where the authors' code
 * averages per-image nuclear norms.
 *
 * <p>Only for models with convolution filters ({@link MaskedModel#observeFeatureMaps}); a masked
 * channel is all zeros and scores 0. Weights, masks and gates are left as they were.
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
        throw new IllegalArgumentException("chip scores convolution filters by their feature maps; "
            + structure.id() + " has none");
      }
      scores[s] = layer[structure.index()];
    }
    return scores;
  }

  /** Adds the Gram matrix of the ReLU of {@code maps} ([batch, C, H, W]) to layer {@code layer}'s. */
  private static void add(Map<Integer, double[][]> grams, NDArray maps, int layer) {
    int channels = (int) maps.getShape().get(1);
    double[] gram;
    try (NDScope scope = new NDScope()) {
      NDArray a = Activation.relu(maps).toType(DataType.FLOAT64, false).transpose(1, 0, 2, 3).reshape(channels, -1);
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
   * minus the nuclear norm with the channel's row zeroed.
   */
  public static double[] independence(double[][] gram) {
    int n = gram.length;
    double full = nuclearNorm(new DMatrixRMaj(gram));
    double[] scores = new double[n];
    for (int c = 0; c < n; c++) {
      DMatrixRMaj minor = new DMatrixRMaj(n - 1, n - 1);
      for (int i = 0, r = 0; i < n; i++) {
        if (i != c) {
          for (int j = 0, k = 0; j < n; j++) {
            if (j != c) {
              minor.set(r, k++, gram[i][j]);
            }
          }
          r++;
        }
      }
      scores[c] = full - nuclearNorm(minor);
    }
    return scores;
  }

  /** ‖A‖_* from G = A Aᵀ: the sum of the square roots of G's eigenvalues (A's singular values). */
  static double nuclearNorm(DMatrixRMaj gram) {
    if (gram.numRows == 0) {
      return 0;
    }
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(gram.numRows, false, true);
    if (!eig.decompose(gram.copy())) {
      throw new IllegalStateException("chip: the eigendecomposition of a " + gram.numRows
          + "-channel Gram matrix did not converge");
    }
    double sum = 0;
    for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
      sum += Math.sqrt(Math.max(0, eig.getEigenvalue(i).getReal()));
    }
    return sum;
  }
}
