package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What every masked model holds: its parameters, its structures and one mask vector per layer. */
abstract class AbstractMaskedModel implements MaskedModel {
  protected final Parameters parameters;
  protected final Masks masks;
  private final List<Structure> structures = new ArrayList<>();
  private final NDManager manager;
  private final NDArray[] gates;

  /** Each layer's mask as an array on the model's device, and the values it was made from. */
  private final NDArray[] maskArrays;

  private final float[][] maskArrayValues;

  protected AbstractMaskedModel(NDManager manager, int... structuresPerLayer) {
    this.manager = manager;
    this.parameters = new Parameters(manager);
    this.masks = new Masks(structuresPerLayer);
    this.gates = new NDArray[structuresPerLayer.length];
    this.maskArrays = new NDArray[structuresPerLayer.length];
    this.maskArrayValues = new float[structuresPerLayer.length][];
  }

  @Override
  public final void setGate(int layer, NDArray gate) {
    if (gate.getShape().dimension() != 1 || gate.getShape().get(0) != masks.size(layer)) {
      throw new IllegalArgumentException(
          "layer "
              + layer
              + " has "
              + masks.size(layer)
              + " structures, the gate has shape "
              + gate.getShape());
    }
    gates[layer] = gate;
  }

  @Override
  public final void clearGates() {
    java.util.Arrays.fill(gates, null);
  }

  /** Whether layer {@code layer} has a soft gate set. */
  protected final boolean hasGate(int layer) {
    return gates[layer] != null;
  }

  /**
   * What multiplies layer {@code layer}'s structure outputs, shaped {@code shape} for the caller's
   * broadcast: its mask entries times its soft gate if one is set; null when every structure is
   * kept and no gate is set (nothing to multiply). The returned array belongs to {@code owner} (the
   * input's manager, or the step's scope). The mask itself is the model's own array, kept until the
   * mask changes, because an array made from Java values wraps memory that the autograd graph still
   * reads in the backward pass (closing it right after the multiply gave NaN gradients).
   */
  protected final NDArray outputFactor(int layer, NDManager owner, long... shape) {
    NDArray gate = gates[layer];
    if (gate == null && masks.allKept(layer)) {
      return null;
    }
    float[] values = masks.layer(layer);
    if (maskArrays[layer] == null || !java.util.Arrays.equals(values, maskArrayValues[layer])) {
      if (maskArrays[layer] != null) {
        maskArrays[layer].close();
      }
      maskArrays[layer] = manager.create(values);
      ai.djl.ndarray.NDScope.unregister(maskArrays[layer]);
      maskArrayValues[layer] = values;
    }
    NDArray factor = gate == null ? maskArrays[layer] : gate.mul(maskArrays[layer]);
    NDArray shaped = factor.reshape(shape);
    shaped.attach(owner);
    if (factor != maskArrays[layer]) {
      factor.attach(owner);
    }
    return shaped;
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
          java.util.BitSet bits =
              dead.computeIfAbsent(slice.parameter(), k -> new java.util.BitSet());
          slice.ranges(
              dims,
              0,
              dims.length == 0 ? 1 : dims[0],
              (from, to) -> bits.set((int) from, (int) to));
        }
      }
    }
    return parameters.count()
        - dead.values().stream().mapToLong(java.util.BitSet::cardinality).sum();
  }

  @Override
  public void close() {
    for (NDArray mask : maskArrays) {
      if (mask != null) {
        mask.close();
      }
    }
    parameters.close();
  }
}
