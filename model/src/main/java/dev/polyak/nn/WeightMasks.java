package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weight-level masks: one keep/prune entry per element of each prunable weight tensor (the weights
 * of a model's convolutions and linear layers), 1 keeps the element, 0 removes it. The model reads
 * such a weight as {@code w ⊙ m}, so a removed element contributes exactly zero and gets exactly
 * zero gradient; the pruner also sets the element itself (and its optimizer state) to zero, so it
 * stays zero and a checkpoint or export holds zero there. Unlike {@link Masks} (one entry per
 * structure), these masks are not compacted away: a dense kernel still computes them (issue 22).
 *
 * <p>Tensors are listed in the order the model registered them (its parameter order). Each has a
 * version that changes with every {@link #set}, so a model caches its mask array until then.
 */
public final class WeightMasks {
  private final Map<String, float[]> values = new LinkedHashMap<>();
  private final Map<String, long[]> shapes = new LinkedHashMap<>();
  private final Map<String, Long> kept = new LinkedHashMap<>();
  private final Map<String, Integer> versions = new LinkedHashMap<>();

  /** Registers {@code name} (a parameter of shape {@code shape}) as prunable, every entry kept. */
  void register(String name, long[] shape) {
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    if (values.containsKey(name)) {
      throw new IllegalArgumentException("weight " + name + " is prunable already");
    }
    float[] ones = new float[Math.toIntExact(size)];
    Arrays.fill(ones, 1f);
    values.put(name, ones);
    shapes.put(name, shape.clone());
    kept.put(name, size);
    versions.put(name, 0);
  }

  /**
   * Gives weight {@code name} (every element kept) its new shape after a compaction sliced its
   * tensor; the masks stay all-ones, since weight-level masks are not compacted.
   */
  void reshape(String name, long[] shape) {
    if (!allKept(name)) {
      throw new IllegalStateException("weight " + name + " has removed elements");
    }
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    float[] ones = new float[Math.toIntExact(size)];
    Arrays.fill(ones, 1f);
    values.put(name, ones);
    shapes.put(name, shape.clone());
    kept.put(name, size);
    versions.put(name, versions.get(name) + 1);
  }

  /** The prunable weights' names, in parameter order. */
  public List<String> names() {
    return List.copyOf(values.keySet());
  }

  /** Whether {@code name} is a prunable weight. */
  public boolean contains(String name) {
    return values.containsKey(name);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** Elements of weight {@code name}. */
  public int size(String name) {
    return values(name).length;
  }

  public long[] shape(String name) {
    values(name);
    return shapes.get(name).clone();
  }

  /** Weight {@code name}'s mask, flat in row-major order (a copy). */
  public float[] mask(String name) {
    return values(name).clone();
  }

  /** Sets weight {@code name}'s mask: {@code keep[i]} keeps element i (row-major). */
  public void set(String name, boolean[] keep) {
    float[] v = values(name);
    if (keep.length != v.length) {
      throw new IllegalArgumentException(
          "weight " + name + " has " + v.length + " elements, the mask " + keep.length);
    }
    long n = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = keep[i] ? 1f : 0f;
      n += keep[i] ? 1 : 0;
    }
    kept.put(name, n);
    versions.merge(name, 1, Integer::sum);
  }

  /**
   * Sets weight {@code name}'s mask from its float form (nonzero keeps), as a checkpoint holds it.
   */
  public void set(String name, float[] mask) {
    boolean[] keep = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      keep[i] = mask[i] != 0f;
    }
    set(name, keep);
  }

  /** Whether element {@code index} (row-major) of weight {@code name} is kept. */
  public boolean kept(String name, int index) {
    return values(name)[index] != 0f;
  }

  public long keptCount(String name) {
    values(name);
    return kept.get(name);
  }

  public boolean allKept(String name) {
    return keptCount(name) == size(name);
  }

  /** Kept elements over every prunable weight. */
  public long keptCount() {
    return kept.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Elements of every prunable weight. */
  public long count() {
    return values.values().stream().mapToLong(v -> v.length).sum();
  }

  /** The weights with at least one removed element, and their masks (copies), in order. */
  public Map<String, float[]> pruned() {
    Map<String, float[]> pruned = new LinkedHashMap<>();
    values.forEach(
        (name, v) -> {
          if (kept.get(name) < v.length) {
            pruned.put(name, v.clone());
          }
        });
    return Collections.unmodifiableMap(pruned);
  }

  /** Every mask back to all kept. */
  public void keepAll() {
    for (String name : values.keySet()) {
      if (!allKept(name)) {
        float[] ones = new float[size(name)];
        Arrays.fill(ones, 1f);
        set(name, ones);
      }
    }
  }

  /** Changes with every {@link #set} of weight {@code name}. */
  int version(String name) {
    return versions.get(name);
  }

  /**
   * Sets the removed elements of every pruned weight of {@code parameters} to zero, in place (with
   * recording off): what makes a checkpoint, an export and the optimizer see zero there.
   */
  public void zeroRemoved(Parameters parameters) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, float[]> e : pruned().entrySet()) {
        NDArray weight = parameters.get(e.getKey());
        float[] w = weight.toFloatArray();
        float[] m = e.getValue();
        for (int i = 0; i < w.length; i++) {
          w[i] = m[i] != 0f ? w[i] : 0f;
        }
        Parameters.overwrite(weight, w);
      }
    }
  }

  /**
   * {@code state} (an {@link Optimizer#state()}: buffers named parameter name + suffix, each of the
   * parameter's size) with the removed elements of every pruned weight's buffers set to zero, so
   * that momentum cannot move a removed weight away from zero. Other entries are left as they are.
   */
  public Map<String, float[]> zeroRemoved(Map<String, float[]> state) {
    Map<String, float[]> out = new LinkedHashMap<>(state);
    Map<String, float[]> pruned = pruned();
    for (Map.Entry<String, float[]> e : state.entrySet()) {
      for (Map.Entry<String, float[]> weight : pruned.entrySet()) {
        float[] m = weight.getValue();
        if (e.getKey().startsWith(weight.getKey() + ".") && e.getValue().length == m.length) {
          float[] buffer = e.getValue().clone();
          for (int i = 0; i < m.length; i++) {
            buffer[i] = m[i] != 0f ? buffer[i] : 0f;
          }
          out.put(e.getKey(), buffer);
        }
      }
    }
    return out;
  }

  private float[] values(String name) {
    float[] v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException(
          "no prunable weight " + name + "; have " + values.keySet());
    }
    return v;
  }
}
