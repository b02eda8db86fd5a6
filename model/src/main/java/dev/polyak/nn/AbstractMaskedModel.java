package dev.polyak.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
   * Every parameter minus the slices of the masked structures, which take no part in the
   * computation. Assumes that no two structures share a slice.
   */
  @Override
  public long keptParameters() {
    long kept = parameters.count();
    for (Structure structure : structures) {
      if (!masks.kept(structure.layer(), structure.index())) {
        for (Structure.Slice slice : structure.slices()) {
          Shape shape = parameters.get(slice.parameter()).getShape();
          kept -= (slice.to() - slice.from()) * (shape.size() / shape.get(slice.axis()));
        }
      }
    }
    return kept;
  }

  @Override
  public void close() {
    parameters.close();
  }
}
