package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.polyak.diag.GradientNorms;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code dpfps} importance: DPFPS (Ruan, Liu, Li, Yuan and Hu, AAAI 2021) at a pruning event.
 * Two parts of the published method decide what an event removes.
 *
 * <ul>
 *   <li><b>Dynamic allocation.</b> A filter is alive when its group norm (the L2 norm of its kernel
 *       and of the next layer's weights that read its channel) exceeds {@code prune_threshold}
 *       times the largest of its layer. Layer l keeps {@code floor(a_l · c)} of its a_l alive
 *       filters, with one coefficient c for all layers chosen so that the scope keeps the
 *       schedule's count: layers whose filters training drove to zero lose more.
 *   <li><b>Taylor channel sensitivity.</b> Within a layer the alive filters with the smallest |Σ w
 *       ⊙ ∂L/∂w| over the same weights (kernel and next layer's column, summed before the absolute
 *       value) are DPFPS's "expected pruning parameters", the ones its penalty drives to zero; they
 *       go first.
 * </ul>
 *
 * <p>Both become one score per filter, so that the global {@link KeepTop} of {@code k} filters is
 * DPFPS's allocation: the alive filter of sensitivity rank r (0 = most sensitive) among a_l scores
 * {@code −(r + 1) / a_l}, kept exactly when {@code r + 1 ≤ a_l · c}; a filter not alive scores
 * below −1 (by group norm), one pruned before −2. Biases and batch-norm parameters are left out of
 * both sums, as the authors' code does. The gradient is the mean loss's over the scoring samples.
 *
 * <p>What the event-based version leaves out (the group-lasso penalty with its ISTA updates and
 * progressive coefficient between events) and why: docs/differences.md (DPFPS).
 */
public final class Dpfps implements Importance {
  /** The authors' {@code prune_thr}: alive above 1 % of the layer's largest group norm. */
  public static final double DEFAULT_PRUNE_THRESHOLD = 1e-2;

  private final double pruneThreshold;

  public Dpfps(double pruneThreshold) {
    if (!(pruneThreshold >= 0 && pruneThreshold < 1)) {
      throw new IllegalArgumentException(
          "dpfps prune_threshold must be in [0, 1), got " + pruneThreshold);
    }
    this.pruneThreshold = pruneThreshold;
  }

  @Override
  public double[] scores(ScoringContext context) {
    MaskedModel model = context.model();
    List<NDArray> gradient = GradientNorms.meanLossGradient(context.data(), context.batchSize());
    double[] taylor;
    try {
      taylor =
          SliceSums.of(
              model,
              (position, weight) ->
                  weights(weight)
                      ? gradient.get(position).toType(DataType.FLOAT64, false).mul(weight)
                      : weight.zerosLike());
    } finally {
      gradient.forEach(NDArray::close);
    }
    double[] squares =
        SliceSums.of(
            model, (position, weight) -> weights(weight) ? weight.square() : weight.zerosLike());
    List<Structure> structures = model.structures();
    boolean[] kept = new boolean[structures.size()];
    double[] sensitivity = new double[structures.size()];
    double[] groupNorm = new double[structures.size()];
    for (int i = 0; i < kept.length; i++) {
      Structure s = structures.get(i);
      kept[i] = model.masks().kept(s.layer(), s.index());
      sensitivity[i] = Math.abs(taylor[i]);
      groupNorm[i] = Math.sqrt(squares[i]);
    }
    return scores(structures, kept, sensitivity, groupNorm, pruneThreshold);
  }

  /** Kernels and linear weights (two or more axes), not biases or batch-norm parameters. */
  private static boolean weights(NDArray parameter) {
    return parameter.getShape().dimension() >= 2;
  }

  /**
   * The scores of the class comment from each structure's mask, Taylor sensitivity and group norm,
   * layer by layer; ties go to the lower structure index.
   */
  static double[] scores(
      List<Structure> structures,
      boolean[] kept,
      double[] sensitivity,
      double[] groupNorm,
      double pruneThreshold) {
    Map<Integer, List<Integer>> byLayer = new TreeMap<>();
    for (int i = 0; i < structures.size(); i++) {
      byLayer.computeIfAbsent(structures.get(i).layer(), l -> new ArrayList<>()).add(i);
    }
    double[] scores = new double[structures.size()];
    for (List<Integer> layer : byLayer.values()) {
      double largest = 0;
      for (int i : layer) {
        largest = kept[i] ? Math.max(largest, groupNorm[i]) : largest;
      }
      List<Integer> alive = new ArrayList<>();
      List<Integer> dead = new ArrayList<>();
      for (int i : layer) {
        if (!kept[i]) {
          scores[i] = -2;
        } else if (groupNorm[i] > pruneThreshold * largest) {
          alive.add(i);
        } else {
          dead.add(i);
        }
      }
      alive.sort(
          Comparator.comparingDouble((Integer i) -> -sensitivity[i])
              .thenComparing(Comparator.naturalOrder()));
      for (int r = 0; r < alive.size(); r++) {
        scores[alive.get(r)] = -(r + 1.0) / alive.size();
      }
      dead.sort(
          Comparator.comparingDouble((Integer i) -> -groupNorm[i])
              .thenComparing(Comparator.naturalOrder()));
      for (int r = 0; r < dead.size(); r++) {
        scores[dead.get(r)] = -1 - (r + 1.0) / (dead.size() + 1.0);
      }
    }
    return scores;
  }
}
