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
public record Structure(String id, int layer, int index, Kind kind, List<Slice> slices) implements Serializable {
  /** The kinds of prunable structure. */
  public enum Kind {
    NEURON,
    HEAD,
    EXPERT,
    FILTER
  }

  /** Elements {@code [from, to)} along {@code axis} of parameter {@code parameter}. */
  public record Slice(String parameter, int axis, long from, long to) implements Serializable {}

  public Structure {
    slices = List.copyOf(slices);
  }
}
