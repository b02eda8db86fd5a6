package dev.polyak.prune;

import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code fpgm} importance, filter pruning via geometric median (He, Liu, Wang, Hu and Yang,
 * "Filter Pruning via Geometric Median for Deep Convolutional Neural Networks Acceleration", CVPR
 * 2019): within each layer (mask group),
 *
 * <pre>score_i = Σ_{j ≠ i in i's layer} ‖F_i − F_j‖₂,</pre>
 *
 * F_i being structure i's own weights, its first slice (a convolution's output-channel weights for
 * a filter), flattened; distances and sums in float64. The filters nearest the layer's geometric
 * median (smallest distance sum) are the ones the others can best replace, so they score lowest
 * and go first. That is the {@code distance} criterion (the default); option {@code criterion}
 * also takes
 *
 * <ul>
 *   <li>{@code norm}: score_i = ‖F_i‖₂, the paper's norm-based baseline (smallest norm first);
 *   <li>{@code mixed}: the paper's high-ratio protocol, the norm criterion for up to half of each
 *       layer, then the distance criterion for the rest. In each layer of n filters the floor(n/2)
 *       of smallest norm (ties: the higher index) score −1 / (1 + ‖F_i‖₂), in (−1, 0) and ordered
 *       by norm, and the others score their distance sum among those others only (≥ 0), as the
 *       authors' code computes distances after the norm step. So pruning a ratio r of each layer
 *       takes min(r, 1/2) by norm and the rest by distance, without the scores knowing r.
 * </ul>
 *
 * <p>Choices:
 *
 * <ul>
 *   <li>Any structure kind is scored by its first slice (a neuron's incoming weights, a head's
 *       query columns, an expert's input layer), as the paper's criterion generalises; every first
 *       slice of a layer must have the same number of weights, else the scoring fails naming the
 *       layer and the two structures.
 *   <li>Scores compare within a layer; across layers they scale with width and weight norms. The
 *       paper prunes the same fraction of every layer: {@code allocation: per-layer}, the default
 *       for filters ({@link Allocation}).
 *   <li>A masked structure scores as it is: masking leaves its weights in place, so it counts, by
 *       its weights, both for its own score and in the others' sums (as the paper's soft pruning,
 *       where a pruned filter stays in the layer).
 * </ul>
 *
 * Uses only the weights: the scoring samples are not read and nothing in the model changes.
 */
public final class Fpgm implements Importance {
  /** How a layer's filters are ranked (see the class comment). */
  public enum Criterion {
    NORM,
    DISTANCE,
    MIXED;

    /** The name a run file uses. */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Criterion criterion;

  /** The distance criterion, FPGM proper. */
  public Fpgm() {
    this(Criterion.DISTANCE);
  }

  public Fpgm(Criterion criterion) {
    this.criterion = criterion;
  }

  @Override
  public double[] scores(ScoringContext context) {
    return scores(context.model(), criterion);
  }

  /** The distance criterion's scores, one per structure, in the model's structure order. */
  public static double[] scores(MaskedModel model) {
    return scores(model, Criterion.DISTANCE);
  }

  /** One score per structure, in the model's structure order. */
  public static double[] scores(MaskedModel model, Criterion criterion) {
    List<Structure> structures = model.structures();
    Map<Integer, List<Integer>> layers = new TreeMap<>();
    for (int s = 0; s < structures.size(); s++) {
      layers.computeIfAbsent(structures.get(s).layer(), l -> new ArrayList<>()).add(s);
    }
    double[] scores = new double[structures.size()];
    for (Map.Entry<Integer, List<Integer>> layer : layers.entrySet()) {
      List<Integer> members = layer.getValue();
      double[][] filters = new double[members.size()][];
      for (int m = 0; m < filters.length; m++) {
        filters[m] = ownWeights(model, structures.get(members.get(m)));
        if (filters[m].length != filters[0].length) {
          throw new IllegalArgumentException("fpgm compares the structures of a layer by their first slices, but in layer "
              + layer.getKey() + " " + structures.get(members.get(0)).id() + " has " + filters[0].length + " weights and "
              + structures.get(members.get(m)).id() + " has " + filters[m].length);
        }
      }
      double[] layerScores = switch (criterion) {
        case NORM -> norms(filters);
        case DISTANCE -> distanceSums(filters, new boolean[filters.length]);
        case MIXED -> mixed(filters);
      };
      for (int m = 0; m < layerScores.length; m++) {
        scores[members.get(m)] = layerScores[m];
      }
    }
    return scores;
  }

  /** Each filter's L2 norm. */
  private static double[] norms(double[][] filters) {
    double[] norms = new double[filters.length];
    for (int m = 0; m < filters.length; m++) {
      norms[m] = distance(filters[m], new double[filters[m].length]);
    }
    return norms;
  }

  /** Each filter's distance sum to the others, among the filters not {@code excluded} (excluded ones get 0). */
  private static double[] distanceSums(double[][] filters, boolean[] excluded) {
    double[] sums = new double[filters.length];
    for (int a = 0; a < filters.length; a++) {
      for (int b = a + 1; b < filters.length; b++) {
        if (!excluded[a] && !excluded[b]) {
          double distance = distance(filters[a], filters[b]);
          sums[a] += distance;
          sums[b] += distance;
        }
      }
    }
    return sums;
  }

  /** The mixed criterion: the smaller-norm half by norm (negative scores), the rest by distance among themselves. */
  private static double[] mixed(double[][] filters) {
    double[] norms = norms(filters);
    Integer[] order = new Integer[filters.length];
    for (int m = 0; m < order.length; m++) {
      order[m] = m;
    }
    java.util.Arrays.sort(order, java.util.Comparator.<Integer>comparingDouble(m -> norms[m]).thenComparing(m -> -m));
    boolean[] byNorm = new boolean[filters.length];
    for (int j = 0; j < filters.length / 2; j++) {
      byNorm[order[j]] = true;
    }
    double[] scores = distanceSums(filters, byNorm);
    for (int m = 0; m < filters.length; m++) {
      if (byNorm[m]) {
        scores[m] = -1 / (1 + norms[m]);
      }
    }
    return scores;
  }

  /** The structure's first slice, flattened, in float64. */
  private static double[] ownWeights(MaskedModel model, Structure structure) {
    if (structure.slices().isEmpty()) {
      throw new IllegalArgumentException("fpgm scores a structure by its first slice; " + structure.id() + " has none");
    }
    Structure.Slice first = structure.slices().get(0);
    try (Autograd.Mode off = Autograd.recording(false); NDScope scope = new NDScope()) {
      return Magnitude.slice(model.parameters().get(first.parameter()), first).toType(DataType.FLOAT64, false)
          .toDoubleArray();
    }
  }

  private static double distance(double[] a, double[] b) {
    double squares = 0;
    for (int k = 0; k < a.length; k++) {
      double d = a[k] - b[k];
      squares += d * d;
    }
    return Math.sqrt(squares);
  }
}
