package dev.polyak.nn;

import java.io.Serializable;
import java.util.List;

/**
 * A prunable unit of a model, as data: an attention head, an MoE expert, a conv filter or a hidden
 * neuron, with the parameter slices that belong to it. Masking a structure zeroes its output and
 * (so) every gradient of its slices.
 *
 * @param id stable name, e.g. {@code layer1/head3}
 * @param layer the mask group it belongs to (one mask vector per layer)
 * @param index its position within the layer's mask
 * @param kind what it is
 * @param slices the parameter ranges that belong to it
 */
public record Structure(String id, int layer, int index, Kind kind, List<Slice> slices)
    implements Serializable {
  /**
   * The kinds of prunable structure. {@link #WEIGHT} is the single elements of the prunable weight
   * tensors ({@link WeightMasks}), the {@code weights} pruning scope: no {@code Structure} of it is
   * in {@link MaskedModel#structures()}, and it has no kernel of its own in the diagnostics.
   */
  public enum Kind {
    NEURON,
    HEAD,
    EXPERT,
    FILTER,
    WEIGHT;

    /** The kinds that are structures (every kind but {@link #WEIGHT}). */
    public static java.util.Set<Kind> structural() {
      return java.util.EnumSet.of(NEURON, HEAD, EXPERT, FILTER);
    }
  }

  /** Elements {@code [from, to)} along {@code axis} of parameter {@code parameter}. */
  public record Slice(String parameter, int axis, long from, long to) implements Serializable {
    /** Receives a range {@code [from, to)} of flat, row-major element positions. */
    @FunctionalInterface
    public interface RangeConsumer {
      void accept(long from, long to);
    }

    /**
     * The flat positions of this slice's elements within rows {@code [rowFrom, rowTo)} (axis 0) of
     * a parameter of shape {@code dims}, relative to the first of those rows, as contiguous ranges.
     */
    public void ranges(long[] dims, long rowFrom, long rowTo, RangeConsumer ranges) {
      long rowSize = 1;
      for (int d = 1; d < dims.length; d++) {
        rowSize *= dims[d];
      }
      if (axis == 0) {
        long lo = Math.max(from, rowFrom);
        long hi = Math.min(to, rowTo);
        if (lo < hi) {
          ranges.accept((lo - rowFrom) * rowSize, (hi - rowFrom) * rowSize);
        }
        return;
      }
      long inner = 1;
      for (int d = axis + 1; d < dims.length; d++) {
        inner *= dims[d];
      }
      long outer = rowTo - rowFrom;
      for (int d = 1; d < axis; d++) {
        outer *= dims[d];
      }
      long span = dims[axis] * inner;
      for (long o = 0; o < outer; o++) {
        ranges.accept(o * span + from * inner, o * span + to * inner);
      }
    }
  }

  public Structure {
    slices = List.copyOf(slices);
  }
}
