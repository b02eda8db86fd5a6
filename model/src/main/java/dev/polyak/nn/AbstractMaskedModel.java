package dev.polyak.nn;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What every masked model holds: its parameters, its structures and one mask vector per layer. */
abstract class AbstractMaskedModel implements MaskedModel {
  protected final Parameters parameters;
  protected final Masks masks;
  private final List<Structure> structures = new ArrayList<>();

  protected AbstractMaskedModel(NDManager manager, int... structuresPerLayer) {
    this.parameters = new Parameters(manager);
    this.masks = new Masks(structuresPerLayer);
  }

  protected final void addStructure(Structure structure) {
    structures.add(structure);
  }

  @Override
  public final Parameters parameters() {
    return parameters;
  }

  @Override
  public final List<Structure> structures() {
    return Collections.unmodifiableList(structures);
  }

  @Override
  public final Masks masks() {
    return masks;
  }

  /**
   * Every parameter minus the elements of the masked structures' slices, which take no part in the
   * computation. An element in the slices of two masked structures (a neuron's outgoing row is the
   * next layer's neurons' incoming columns) is counted once.
   */
  @Override
  public long keptParameters() {
    java.util.Map<String, java.util.BitSet> dead = new java.util.LinkedHashMap<>();
    for (Structure structure : structures) {
      if (!masks.kept(structure.layer(), structure.index())) {
        for (Structure.Slice slice : structure.slices()) {
          long[] dims = parameters.get(slice.parameter()).getShape().getShape();
          java.util.BitSet bits = dead.computeIfAbsent(slice.parameter(), k -> new java.util.BitSet());
          slice.ranges(dims, 0, dims.length == 0 ? 1 : dims[0], (from, to) -> bits.set((int) from, (int) to));
        }
      }
    }
    return parameters.count() - dead.values().stream().mapToLong(java.util.BitSet::cardinality).sum();
  }

  @Override
  public void close() {
    parameters.close();
  }
}
