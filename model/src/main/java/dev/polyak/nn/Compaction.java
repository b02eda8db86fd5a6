package dev.polyak.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which structures of each mask group are still in a model's tensors: after a pruning event a
 * compacted model slices its pruned structures' parameters out (a pruned head's columns of Q, K, V
 * and rows of the output projection, a pruned neuron's incoming column and outgoing row), so that
 * they cost no time any more. Structures keep their original ids and mask indices; this map says
 * where each one's slices are now ({@link #structuresAt}) and which tensor elements an event
 * removes ({@link #cuts}). It is a pure value: a checkpoint records it ({@link #encode}), and a
 * resume compacts a freshly built model to it before loading the checkpoint's (smaller) tensors.
 *
 * <p>Weight-level masks ({@code scope: [weights]}) are never compacted: a single weight's removal
 * leaves the tensor's shape as it is.
 */
public final class Compaction {
  /** Per group: {@code true} at the structures still in the tensors. */
  private final boolean[][] present;

  private Compaction(boolean[][] present) {
    this.present = present;
  }

  /** Every structure in the tensors: a model as built. */
  public static Compaction identity(int... sizes) {
    boolean[][] present = new boolean[sizes.length][];
    for (int l = 0; l < sizes.length; l++) {
      present[l] = new boolean[sizes[l]];
      Arrays.fill(present[l], true);
    }
    return new Compaction(present);
  }

  /**
   * This compaction without the structures {@code masks} removes, in the groups {@code compactable}
   * accepts; a group whose every structure is masked stays as it is (its tensors would be empty).
   */
  public Compaction without(Masks masks, java.util.function.IntPredicate compactable) {
    boolean[][] next = new boolean[present.length][];
    for (int l = 0; l < present.length; l++) {
      next[l] = present[l].clone();
      if (!compactable.test(l) || masks.keptCount(l) == 0) {
        continue;
      }
      for (int i = 0; i < next[l].length; i++) {
        next[l][i] &= masks.kept(l, i);
      }
    }
    return new Compaction(next);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Compaction c && Arrays.deepEquals(present, c.present);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(present);
  }

  public int groups() {
    return present.length;
  }

  /** Whether structure {@code index} of group {@code layer} is still in the tensors. */
  public boolean present(int layer, int index) {
    return present[layer][index];
  }

  /** The mask indices of group {@code layer}'s structures still in the tensors, ascending. */
  public int[] presentIndices(int layer) {
    int[] indices = new int[presentCount(layer)];
    int k = 0;
    for (int i = 0; i < present[layer].length; i++) {
      if (present[layer][i]) {
        indices[k++] = i;
      }
    }
    return indices;
  }

  public int presentCount(int layer) {
    int n = 0;
    for (boolean p : present[layer]) {
      n += p ? 1 : 0;
    }
    return n;
  }

  /** Whether group {@code layer} has every structure in the tensors. */
  public boolean complete(int layer) {
    return presentCount(layer) == present[layer].length;
  }

  /** Whether every structure of every group is in the tensors. */
  public boolean isIdentity() {
    for (int l = 0; l < present.length; l++) {
      if (!complete(l)) {
        return false;
      }
    }
    return true;
  }

  /** Whether every structure this one holds is in {@code other} too (it can be cut from it). */
  public boolean within(Compaction other) {
    if (other.present.length != present.length) {
      return false;
    }
    for (int l = 0; l < present.length; l++) {
      if (other.present[l].length != present[l].length) {
        return false;
      }
      for (int i = 0; i < present[l].length; i++) {
        if (present[l][i] && !other.present[l][i]) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Group {@code layer} as a checkpoint stores it: for each structure its position among the
   * group's structures still in the tensors, or -1 if it was sliced out.
   */
  public float[] encode(int layer) {
    float[] positions = new float[present[layer].length];
    int k = 0;
    for (int i = 0; i < positions.length; i++) {
      positions[i] = present[layer][i] ? k++ : -1f;
    }
    return positions;
  }

  /**
   * The compaction whose groups {@link #encode} wrote; {@code where} names the file in an error.
   *
   * @throws IllegalArgumentException if a group's positions are not 0, 1, 2, ... over the present
   *     structures and -1 elsewhere
   */
  public static Compaction decode(List<float[]> groups, String where) {
    boolean[][] present = new boolean[groups.size()][];
    for (int l = 0; l < present.length; l++) {
      float[] positions = groups.get(l);
      present[l] = new boolean[positions.length];
      int k = 0;
      for (int i = 0; i < positions.length; i++) {
        if (positions[i] == k) {
          present[l][i] = true;
          k++;
        } else if (positions[i] != -1f) {
          throw new IllegalArgumentException(
              where
                  + ": compaction map of group "
                  + l
                  + " has position "
                  + positions[i]
                  + " at structure "
                  + i
                  + "; expected "
                  + k
                  + " or -1");
        }
      }
    }
    return new Compaction(present);
  }

  /**
   * The model's structures as they are in tensors compacted to this map: a present structure's
   * slices moved down past the removed elements before them, a removed structure with no slices.
   *
   * @param original the structures of the model as built (identity compaction)
   */
  public List<Structure> structuresAt(List<Structure> original) {
    Map<Axis, BitSet> removed = removed(original);
    List<Structure> out = new ArrayList<>(original.size());
    for (Structure s : original) {
      if (!present[s.layer()][s.index()]) {
        out.add(new Structure(s.id(), s.layer(), s.index(), s.kind(), List.of()));
        continue;
      }
      List<Structure.Slice> slices = new ArrayList<>(s.slices().size());
      for (Structure.Slice slice : s.slices()) {
        BitSet gone = removed.get(new Axis(slice.parameter(), slice.axis()));
        if (gone == null) {
          slices.add(slice);
          continue;
        }
        if (gone.get((int) slice.from(), (int) slice.to()).cardinality() != 0) {
          throw new IllegalStateException(
              "structure "
                  + s.id()
                  + " is kept but its slice "
                  + slice
                  + " overlaps a removed structure's");
        }
        long shift = gone.get(0, (int) slice.from()).cardinality();
        slices.add(
            new Structure.Slice(
                slice.parameter(), slice.axis(), slice.from() - shift, slice.to() - shift));
      }
      out.add(new Structure(s.id(), s.layer(), s.index(), s.kind(), slices));
    }
    return out;
  }

  /** A parameter's axis. */
  private record Axis(String parameter, int axis) {}

  /** Per parameter axis, the original positions of the structures this map removed. */
  private Map<Axis, BitSet> removed(List<Structure> original) {
    Map<Axis, BitSet> removed = new LinkedHashMap<>();
    for (Structure s : original) {
      if (!present[s.layer()][s.index()]) {
        for (Structure.Slice slice : s.slices()) {
          removed
              .computeIfAbsent(new Axis(slice.parameter(), slice.axis()), k -> new BitSet())
              .set((int) slice.from(), (int) slice.to());
        }
      }
    }
    return removed;
  }

  /**
   * Keep positions {@code kept} (ascending) along axis {@code axis} of parameter {@code parameter}
   * and drop the others.
   */
  public record Cut(String parameter, int axis, int[] kept) {
    /** {@code values} of shape {@code dims} with only the kept positions along the axis. */
    public float[] apply(float[] values, long[] dims) {
      return copy(values, dims, false);
    }

    /**
     * The inverse of {@link #apply(float[], long[])}: {@code values} of the cut shape placed back
     * at the kept positions of a tensor of shape {@code dims} (the shape before the cut), zero at
     * the others.
     */
    public float[] expand(float[] values, long[] dims) {
      return copy(values, dims, true);
    }

    /**
     * Copies each kept block between a tensor of shape {@code dims} and its cut form: from the full
     * tensor {@code values} into the cut one, or ({@code expand}) the other way round.
     */
    private float[] copy(float[] values, long[] dims, boolean expand) {
      long inner = 1;
      for (int d = axis + 1; d < dims.length; d++) {
        inner *= dims[d];
      }
      long outer = 1;
      for (int d = 0; d < axis; d++) {
        outer *= dims[d];
      }
      int span = Math.toIntExact(dims[axis] * inner);
      int block = Math.toIntExact(inner);
      float[] out = new float[Math.toIntExact(outer * (expand ? span : kept.length * inner))];
      int at = 0;
      for (long o = 0; o < outer; o++) {
        int base = Math.toIntExact(o * span);
        for (int k : kept) {
          if (expand) {
            System.arraycopy(values, at, out, base + k * block, block);
          } else {
            System.arraycopy(values, base + k * block, out, at, block);
          }
          at += block;
        }
      }
      return out;
    }

    /** {@code dims} after the cut. */
    public long[] apply(long[] dims) {
      long[] out = dims.clone();
      out[axis] = kept.length;
      return out;
    }
  }

  /**
   * What going from this compaction to {@code target} removes from the tensors: one cut per
   * parameter axis that loses elements, in positions of the tensors as compacted to this map.
   *
   * @param original the structures of the model as built
   * @param shapes each parameter's shape as compacted to this map
   * @throws IllegalArgumentException if {@code target} holds a structure this map removed already
   */
  public List<Cut> cuts(
      List<Structure> original, Compaction target, Function<String, long[]> shapes) {
    if (!target.within(this)) {
      throw new IllegalArgumentException(
          "a compaction cannot bring back a structure that was sliced out");
    }
    Map<Axis, BitSet> before = removed(original);
    Map<Axis, BitSet> after = target.removed(original);
    List<Cut> cuts = new ArrayList<>();
    for (Map.Entry<Axis, BitSet> e : after.entrySet()) {
      BitSet was = before.getOrDefault(e.getKey(), new BitSet());
      if (was.equals(e.getValue())) {
        continue;
      }
      long size = shapes.apply(e.getKey().parameter())[e.getKey().axis()] + was.cardinality();
      List<Integer> kept = new ArrayList<>();
      int position = 0;
      for (int i = 0; i < size; i++) {
        if (was.get(i)) {
          continue;
        }
        if (!e.getValue().get(i)) {
          kept.add(position);
        }
        position++;
      }
      cuts.add(
          new Cut(
              e.getKey().parameter(),
              e.getKey().axis(),
              kept.stream().mapToInt(Integer::intValue).toArray()));
    }
    return cuts;
  }

  /**
   * What this compaction cut from the model as built: one cut per parameter axis that lost
   * elements, in positions of the full-size tensors; {@link Cut#expand} undoes each.
   *
   * @param original the structures of the model as built
   * @param shapes each parameter's shape as compacted to this map
   */
  public List<Cut> cutsFromFullSize(List<Structure> original, Function<String, long[]> shapes) {
    Map<Axis, BitSet> removed = removed(original);
    int[] sizes = new int[present.length];
    for (int l = 0; l < sizes.length; l++) {
      sizes[l] = present[l].length;
    }
    return identity(sizes)
        .cuts(original, this, name -> fullSize(name, shapes.apply(name), removed));
  }

  /**
   * Parameter {@code name}'s shape in the model as built, given its {@code shape} as compacted to
   * this map.
   */
  public long[] fullSize(List<Structure> original, String name, long[] shape) {
    return fullSize(name, shape, removed(original));
  }

  private static long[] fullSize(String name, long[] shape, Map<Axis, BitSet> removed) {
    long[] dims = shape.clone();
    for (int axis = 0; axis < dims.length; axis++) {
      BitSet gone = removed.get(new Axis(name, axis));
      dims[axis] += gone == null ? 0 : gone.cardinality();
    }
    return dims;
  }

  /**
   * {@code state} (named arrays) with {@code cuts} applied: an array whose name {@code parameterOf}
   * maps to a cut parameter (the parameter itself, or an optimizer buffer of its shape) is cut; the
   * others (null from {@code parameterOf}) are left as they are.
   *
   * @param shapes each parameter's shape before the cuts
   */
  public static Map<String, float[]> apply(
      List<Cut> cuts,
      Map<String, float[]> state,
      Function<String, String> parameterOf,
      Function<String, long[]> shapes) {
    Map<String, float[]> out = new LinkedHashMap<>(state);
    for (Map.Entry<String, float[]> e : out.entrySet()) {
      String parameter = parameterOf.apply(e.getKey());
      if (parameter == null) {
        continue;
      }
      long[] dims = shapes.apply(parameter);
      float[] values = e.getValue();
      for (Cut cut : cuts) {
        if (cut.parameter().equals(parameter)) {
          values = cut.apply(values, dims);
          dims = cut.apply(dims);
        }
      }
      e.setValue(values);
    }
    return out;
  }
}
