package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** What every masked model holds: its parameters, its structures and one mask vector per layer. */
abstract class AbstractMaskedModel implements MaskedModel {
  protected final Parameters parameters;
  protected final Masks masks;
  protected final WeightMasks weightMasks = new WeightMasks();

  /** The structures as built, and as they are in the (possibly compacted) tensors. */
  private final List<Structure> original = new ArrayList<>();

  private List<Structure> structures = new ArrayList<>();
  private Compaction compaction;

  /**
   * Buffers cut with a parameter: buffer name to the parameter whose axis-0 slices it shares (a
   * batch norm's running statistics follow its weight).
   */
  private final Map<String, String> followers = new java.util.LinkedHashMap<>();

  /** Per group, the mask indices of the structures in the tensors, for a compacted group. */
  private final NDArray[] presentArrays;

  private final NDManager manager;
  private final NDArray[] gates;

  /** Each layer's mask as an array on the model's device, and the values it was made from. */
  private final NDArray[] maskArrays;

  private final float[][] maskArrayValues;

  /** Each pruned weight's mask as an array of the weight's shape, and the mask version it holds. */
  private final java.util.Map<String, NDArray> weightMaskArrays = new java.util.HashMap<>();

  private final java.util.Map<String, Integer> weightMaskVersions = new java.util.HashMap<>();

  protected AbstractMaskedModel(NDManager manager, int... structuresPerLayer) {
    this.manager = manager;
    this.parameters = new Parameters(manager);
    this.masks = new Masks(structuresPerLayer);
    this.gates = new NDArray[structuresPerLayer.length];
    this.maskArrays = new NDArray[structuresPerLayer.length];
    this.maskArrayValues = new float[structuresPerLayer.length][];
    this.presentArrays = new NDArray[structuresPerLayer.length];
    this.compaction = Compaction.identity(structuresPerLayer);
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
   * broadcast: its mask entries times its soft gate if one is set, over the structures still in the
   * tensors ({@link #presentCount}); null when every such structure is kept and no gate is set
   * (nothing to multiply). The returned array belongs to {@code owner} (the input's manager, or the
   * step's scope). The mask itself is the model's own array, kept until the mask changes, because
   * an array made from Java values wraps memory that the autograd graph still reads in the backward
   * pass (closing it right after the multiply gave NaN gradients).
   */
  protected final NDArray outputFactor(int layer, NDManager owner, long... shape) {
    NDArray gate = gates[layer];
    int[] present = compaction.presentIndices(layer);
    float[] values = new float[present.length];
    boolean allKept = true;
    for (int i = 0; i < present.length; i++) {
      values[i] = masks.kept(layer, present[i]) ? 1f : 0f;
      allKept &= values[i] != 0f;
    }
    if (gate == null && allKept) {
      return null;
    }
    if (maskArrays[layer] == null || !java.util.Arrays.equals(values, maskArrayValues[layer])) {
      if (maskArrays[layer] != null) {
        maskArrays[layer].close();
      }
      maskArrays[layer] = manager.create(values);
      ai.djl.ndarray.NDScope.unregister(maskArrays[layer]);
      maskArrayValues[layer] = values;
    }
    NDArray factor;
    if (gate == null) {
      factor = maskArrays[layer];
    } else if (presentArrays[layer] == null) {
      factor = gate.mul(maskArrays[layer]);
    } else {
      NDArray presentGate = gate.get(presentArrays[layer]);
      factor = presentGate.mul(maskArrays[layer]);
      presentGate.attach(owner);
    }
    NDArray shaped = factor.reshape(shape);
    shaped.attach(owner);
    if (factor != maskArrays[layer]) {
      factor.attach(owner);
    }
    return shaped;
  }

  /** The number of group {@code layer}'s structures still in the tensors. */
  protected final int presentCount(int layer) {
    return compaction.presentCount(layer);
  }

  @Override
  public final Compaction compaction() {
    return compaction;
  }

  @Override
  public final List<Compaction.Cut> compact(Compaction target) {
    for (int l = 0; l < target.groups(); l++) {
      if (!compactable(l) && !java.util.Arrays.equals(target.encode(l), compaction.encode(l))) {
        throw new UnsupportedOperationException(
            getClass().getSimpleName() + " cannot compact mask group " + l);
      }
    }
    Map<String, NDArray> state = parameters.state();
    List<Compaction.Cut> cuts =
        compaction.cuts(
            structuresWithBuffers(), target, name -> state.get(name).getShape().getShape());
    java.util.Set<String> cut = new java.util.LinkedHashSet<>();
    cuts.forEach(c -> cut.add(c.parameter()));
    for (String name : cut) {
      if (weightMasks.contains(name) && !weightMasks.allKept(name)) {
        throw new IllegalStateException(
            "weight "
                + name
                + " has weight-level masks; weight-level pruning is not compacted, so its"
                + " structures cannot be sliced out");
      }
    }
    Map<String, float[]> values = new java.util.LinkedHashMap<>();
    for (String name : cut) {
      values.put(name, state.get(name).toFloatArray());
    }
    Map<String, float[]> sliced =
        Compaction.apply(cuts, values, name -> name, name -> state.get(name).getShape().getShape());
    for (String name : cut) {
      long[] dims = state.get(name).getShape().getShape();
      for (Compaction.Cut c : cuts) {
        if (c.parameter().equals(name)) {
          dims = c.apply(dims);
        }
      }
      parameters.replace(name, sliced.get(name), new ai.djl.ndarray.types.Shape(dims));
      if (weightMasks.contains(name)) {
        weightMasks.reshape(name, dims);
      }
    }
    compaction = target;
    structures = target.structuresAt(original);
    for (int l = 0; l < presentArrays.length; l++) {
      if (presentArrays[l] != null) {
        presentArrays[l].close();
        presentArrays[l] = null;
      }
      if (!target.complete(l)) {
        presentArrays[l] =
            manager.create(
                java.util.Arrays.stream(target.presentIndices(l)).asLongStream().toArray());
        ai.djl.ndarray.NDScope.unregister(presentArrays[l]);
      }
    }
    return cuts;
  }

  /**
   * Registers parameter {@code name} (added already) as a prunable weight: it gets a weight-level
   * mask ({@link WeightMasks}), and the forward pass must read it through {@link #weight}.
   */
  protected final void addPrunableWeight(String name) {
    weightMasks.register(name, parameters.get(name).getShape().getShape());
  }

  /**
   * Parameter {@code name} as the forward pass uses it: itself when nothing of it is masked at
   * weight level, otherwise {@code w ⊙ m}, a new array belonging to {@code owner} (so that a
   * removed element contributes exactly zero and gets exactly zero gradient). The mask array is the
   * model's own, kept until the mask changes, for the reason {@link #outputFactor} gives.
   */
  protected final NDArray weight(String name, NDManager owner) {
    NDArray w = parameters.get(name);
    if (!weightMasks.contains(name) || weightMasks.allKept(name)) {
      return w;
    }
    NDArray mask = weightMaskArrays.get(name);
    if (mask == null || weightMaskVersions.get(name) != weightMasks.version(name)) {
      if (mask != null) {
        mask.close();
      }
      mask = manager.create(weightMasks.mask(name), w.getShape());
      ai.djl.ndarray.NDScope.unregister(mask);
      weightMaskArrays.put(name, mask);
      weightMaskVersions.put(name, weightMasks.version(name));
    }
    NDArray masked = w.mul(mask);
    masked.attach(owner);
    return masked;
  }

  @Override
  public final WeightMasks weightMasks() {
    return weightMasks;
  }

  /**
   * Registers buffer {@code buffer} (added already, shaped as axis 0 of {@code parameter}) as
   * belonging, element by element along axis 0, to the structures whose slices take axis 0 of
   * {@code parameter}: a compaction cuts it with them ({@link #structuresWithBuffers}).
   */
  protected final void addFollowingBuffer(String buffer, String parameter) {
    if (!parameters.buffers().containsKey(buffer)) {
      throw new IllegalArgumentException("no buffer " + buffer);
    }
    followers.put(buffer, parameter);
  }

  @Override
  public final List<Structure> structuresWithBuffers() {
    if (followers.isEmpty()) {
      return structuresAsBuilt();
    }
    List<Structure> out = new ArrayList<>(original.size());
    for (Structure s : original) {
      List<Structure.Slice> slices = new ArrayList<>(s.slices());
      for (Structure.Slice slice : s.slices()) {
        if (slice.axis() == 0) {
          followers.forEach(
              (buffer, parameter) -> {
                if (parameter.equals(slice.parameter())) {
                  slices.add(new Structure.Slice(buffer, 0, slice.from(), slice.to()));
                }
              });
        }
      }
      out.add(new Structure(s.id(), s.layer(), s.index(), s.kind(), slices));
    }
    return out;
  }

  protected final void addStructure(Structure structure) {
    original.add(structure);
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
  public final List<Structure> structuresAsBuilt() {
    return Collections.unmodifiableList(original);
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
    return parameters.count()
        - deadElements().values().stream().mapToLong(java.util.BitSet::cardinality).sum()
        - maskedWeightsOutsideStructures();
  }

  /** Each parameter's elements in the slices of masked structures, as flat positions. */
  private java.util.Map<String, java.util.BitSet> deadElements() {
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
    return dead;
  }

  /**
   * The elements removed by weight-level masks that no masked structure's slice holds already: what
   * a model's structural count of kept parameters must subtract (0 when no weight is masked).
   */
  protected final long maskedWeightsOutsideStructures() {
    java.util.Map<String, float[]> pruned = weightMasks.pruned();
    if (pruned.isEmpty()) {
      return 0;
    }
    java.util.Map<String, java.util.BitSet> dead = deadElements();
    long removed = 0;
    for (java.util.Map.Entry<String, float[]> e : pruned.entrySet()) {
      java.util.BitSet bits = dead.getOrDefault(e.getKey(), new java.util.BitSet());
      float[] m = e.getValue();
      for (int i = 0; i < m.length; i++) {
        removed += m[i] == 0f && !bits.get(i) ? 1 : 0;
      }
    }
    return removed;
  }

  @Override
  public void close() {
    for (NDArray mask : maskArrays) {
      if (mask != null) {
        mask.close();
      }
    }
    for (NDArray present : presentArrays) {
      if (present != null) {
        present.close();
      }
    }
    weightMaskArrays.values().forEach(NDArray::close);
    parameters.close();
  }
}
