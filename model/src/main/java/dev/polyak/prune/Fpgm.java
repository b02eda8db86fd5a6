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
 * The {@code fpgm} importance, filter pruning via geometric median (He et al., CVPR 2019): a
 * structure's score is the sum of the distances from its weights (its first slice) to those of the
 * other structures of its layer, so the ones nearest the layer's geometric median score lowest and
 * go first. Scores compare within a layer only. Uses only the weights: the scoring samples are not
 * read and nothing in the model changes.
 *
 * <p>Method and choices: docs/design/importance.md (fpgm).
 */
public final class Fpgm implements Importance {
  /** How a layer's filters are ranked (docs/design/importance.md, fpgm). */
  public enum Criterion {
    NORM,
    DISTANCE,
    MIXED;

    /** The name a run file uses. */
    public String id() {
      return dev.polyak.EnumIds.id(this);
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
      // a structure sliced out of a compacted model has no weights: it scores 0 and is no one's
      // neighbour (the pruner ranks a pruned structure last whatever its score)
      List<Integer> members =
          layer.getValue().stream().filter(s -> !structures.get(s).slices().isEmpty()).toList();
      if (members.isEmpty()) {
        continue;
      }
      double[][] filters = new double[members.size()][];
      for (int m = 0; m < filters.length; m++) {
        filters[m] = ownWeights(model, structures.get(members.get(m)));
        if (filters[m].length != filters[0].length) {
          throw new IllegalArgumentException(
              "fpgm compares the structures of a layer by their first slices, but in layer "
                  + layer.getKey()
                  + " "
                  + structures.get(members.get(0)).id()
                  + " has "
                  + filters[0].length
                  + " weights and "
                  + structures.get(members.get(m)).id()
                  + " has "
                  + filters[m].length);
        }
      }
      double[] layerScores =
          switch (criterion) {
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

  /**
   * Each filter's distance sum to the others, among the filters not {@code excluded} (excluded ones
   * get 0).
   */
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

  /**
   * The mixed criterion: the smaller-norm half by norm (negative scores), the rest by distance
   * among themselves.
   */
  private static double[] mixed(double[][] filters) {
    double[] norms = norms(filters);
    Integer[] order = new Integer[filters.length];
    for (int m = 0; m < order.length; m++) {
      order[m] = m;
    }
    java.util.Arrays.sort(
        order, java.util.Comparator.<Integer>comparingDouble(m -> norms[m]).thenComparing(m -> -m));
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
      throw new IllegalArgumentException(
          "fpgm scores a structure by its first slice; " + structure.id() + " has none");
    }
    Structure.Slice first = structure.slices().get(0);
    try (Autograd.Mode off = Autograd.recording(false);
        NDScope scope = new NDScope()) {
      return Magnitude.slice(model.parameters().get(first.parameter()), first)
          .toType(DataType.FLOAT64, false)
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
