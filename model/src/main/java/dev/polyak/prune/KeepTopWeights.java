package dev.polyak.prune;

import java.util.Arrays;
import java.util.List;

/**
 * Which single weights to keep, given their scores: {@link KeepTop} for the {@code weights} scope,
 * where a structure list of millions of entries would not do. A removed weight never comes back;
 * every weight tensor keeps at least {@code minPerLayer} of its kept weights (its best ones, taken
 * first); then the best remaining scores fill the target, over the whole scope (global) or within
 * each tensor (per-layer). Ties go to the earlier weight (tensors in order, then row-major index),
 * so the selection is a pure function of the scores and the count kept is exactly the target.
 */
public final class KeepTopWeights {
  private KeepTopWeights() {}

  /**
   * @param names the tensors' names, for errors
   * @param scores one array per tensor (higher = more important); NaN is refused
   * @param keptBefore one array per tensor: whether each weight is kept now
   * @param targets one entry (global: the scope's total) or one per tensor (per-layer)
   * @return keep[t][i] for each tensor t and weight i
   * @throws IllegalArgumentException if a target is below what protection keeps or above what is
   *     kept now
   */
  public static boolean[][] select(
      List<String> names,
      List<double[]> scores,
      List<boolean[]> keptBefore,
      int[] targets,
      int minPerLayer) {
    int tensors = scores.size();
    boolean[][] keep = new boolean[tensors][];
    boolean[][] eligible = new boolean[tensors][];
    long protectedCount = 0;
    for (int t = 0; t < tensors; t++) {
      double[] s = scores.get(t);
      for (double v : s) {
        if (Double.isNaN(v)) {
          throw new IllegalArgumentException("weight " + names.get(t) + " has a NaN score");
        }
      }
      keep[t] = new boolean[s.length];
      eligible[t] = keptBefore.get(t).clone();
      int kept = count(eligible[t]);
      int protect = Math.min(minPerLayer, kept);
      take(new double[][] {s}, new boolean[][] {eligible[t]}, protect, new boolean[][] {keep[t]});
      protectedCount += protect;
      for (int i = 0; i < s.length; i++) {
        eligible[t][i] &= !keep[t][i];
      }
    }
    double[][] all = scores.toArray(new double[0][]);
    if (targets.length == 1) {
      long rest = targets[0] - protectedCount;
      long available = Arrays.stream(eligible).mapToLong(KeepTopWeights::count).sum();
      if (rest < 0 || rest > available) {
        throw new IllegalArgumentException(
            "cannot keep "
                + targets[0]
                + " weights with "
                + protectedCount
                + " protected and "
                + (available + protectedCount)
                + " kept now");
      }
      take(all, eligible, (int) rest, keep);
      return keep;
    }
    if (targets.length != tensors) {
      throw new IllegalArgumentException(targets.length + " targets for " + tensors + " tensors");
    }
    for (int t = 0; t < tensors; t++) {
      int protect = count(keep[t]);
      int rest = Math.min(Math.max(targets[t], protect) - protect, count(eligible[t]));
      take(new double[][] {all[t]}, new boolean[][] {eligible[t]}, rest, new boolean[][] {keep[t]});
    }
    return keep;
  }

  /**
   * Marks in {@code keep} the {@code k} best eligible weights of {@code scores} (ties to the
   * earlier one): the k-th best score is the threshold, all above it are taken, then the earliest
   * equal to it until k are.
   */
  private static void take(double[][] scores, boolean[][] eligible, int k, boolean[][] keep) {
    if (k <= 0) {
      return;
    }
    int n = 0;
    for (boolean[] e : eligible) {
      n += count(e);
    }
    double[] values = new double[n];
    int j = 0;
    for (int t = 0; t < scores.length; t++) {
      for (int i = 0; i < scores[t].length; i++) {
        if (eligible[t][i]) {
          values[j++] = scores[t][i];
        }
      }
    }
    Arrays.sort(values);
    double threshold = values[n - Math.min(k, n)];
    int above = 0;
    for (double v : values) {
      above += Double.compare(v, threshold) > 0 ? 1 : 0;
    }
    int ties = Math.min(k, n) - above;
    for (int t = 0; t < scores.length; t++) {
      for (int i = 0; i < scores[t].length; i++) {
        if (eligible[t][i]) {
          int c = Double.compare(scores[t][i], threshold);
          if (c > 0 || (c == 0 && ties-- > 0)) {
            keep[t][i] = true;
          }
        }
      }
    }
  }

  private static int count(boolean[] values) {
    int n = 0;
    for (boolean v : values) {
      n += v ? 1 : 0;
    }
    return n;
  }
}
