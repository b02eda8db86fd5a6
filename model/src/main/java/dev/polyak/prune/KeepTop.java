package dev.polyak.prune;

import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Which structures to keep, given importance scores and a target count: the k highest scores,
 * except that every layer (mask group) keeps at least {@code minPerLayer} structures (protection: a
 * layer with no head or no filter would cut the network). Protected structures are each layer's
 * best ones, taken first; the rest of the k places go to the best remaining scores. Ties go to the
 * lower structure index, so the selection is a pure function of the scores. {@link #perLayer}
 * instead keeps a given count in each layer ({@link Allocation}).
 */
public final class KeepTop {
  private KeepTop() {}

  /**
   * @param scores one per structure, in the model's structure order (higher = more important); NaN
   *     is refused
   * @return keep[i] for each structure
   * @throws IllegalArgumentException if k is smaller than the protection needs or larger than the
   *     number of structures
   */
  public static boolean[] select(
      List<Structure> structures, double[] scores, int k, int minPerLayer) {
    int p = structures.size();
    TreeMap<Integer, List<Integer>> byLayer = byLayer(structures, scores);
    Comparator<Integer> best = best(scores);
    boolean[] keep = new boolean[p];
    int protectedCount = 0;
    for (List<Integer> layer : byLayer.values()) {
      List<Integer> sorted = new ArrayList<>(layer);
      sorted.sort(best);
      for (int j = 0; j < Math.min(minPerLayer, sorted.size()); j++) {
        keep[sorted.get(j)] = true;
        protectedCount++;
      }
    }
    if (k < protectedCount || k > p) {
      throw new IllegalArgumentException(
          "cannot keep "
              + k
              + " of "
              + p
              + " structures with at least "
              + minPerLayer
              + " per layer ("
              + protectedCount
              + " protected)");
    }
    List<Integer> rest = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      if (!keep[i]) {
        rest.add(i);
      }
    }
    rest.sort(best);
    for (int j = 0; j < k - protectedCount; j++) {
      keep[rest.get(j)] = true;
    }
    return keep;
  }

  /**
   * Per-layer selection: the {@code keptPerLayer[l]} best of each layer, layers in ascending order
   * of {@link Structure#layer()}, but never fewer than {@code min(minPerLayer, n_l)} (protection is
   * a floor under each layer's count, so it only matters where the count would go below it).
   *
   * @param keptPerLayer one count per layer of {@code structures}, at most the layer's size
   * @return keep[i] for each structure
   */
  public static boolean[] perLayer(
      List<Structure> structures, double[] scores, int[] keptPerLayer, int minPerLayer) {
    TreeMap<Integer, List<Integer>> byLayer = byLayer(structures, scores);
    if (keptPerLayer.length != byLayer.size()) {
      throw new IllegalArgumentException(
          keptPerLayer.length + " layer counts for " + byLayer.size() + " layers");
    }
    Comparator<Integer> best = best(scores);
    boolean[] keep = new boolean[structures.size()];
    int l = 0;
    for (List<Integer> layer : byLayer.values()) {
      int k = Math.max(keptPerLayer[l], Math.min(minPerLayer, layer.size()));
      if (keptPerLayer[l] < 0 || k > layer.size()) {
        throw new IllegalArgumentException(
            "cannot keep "
                + keptPerLayer[l]
                + " of the "
                + layer.size()
                + " structures of layer "
                + structures.get(layer.get(0)).layer());
      }
      layer.stream().sorted(best).limit(k).forEach(i -> keep[i] = true);
      l++;
    }
    return keep;
  }

  /**
   * Structure indices by layer, ascending; refuses a score count that does not match or a NaN
   * score.
   */
  private static TreeMap<Integer, List<Integer>> byLayer(
      List<Structure> structures, double[] scores) {
    int p = structures.size();
    if (scores.length != p) {
      throw new IllegalArgumentException(scores.length + " scores for " + p + " structures");
    }
    TreeMap<Integer, List<Integer>> byLayer = new TreeMap<>();
    for (int i = 0; i < p; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException(
            "structure " + structures.get(i).id() + " has a NaN score");
      }
      byLayer.computeIfAbsent(structures.get(i).layer(), l -> new ArrayList<>()).add(i);
    }
    return byLayer;
  }

  /** Higher score first, then the lower index. */
  private static Comparator<Integer> best(double[] scores) {
    return Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i);
  }
}
