package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A model whose prunable structures are data and whose masks act in the forward pass. */
public interface MaskedModel extends AutoCloseable {
  Parameters parameters();

  /** Every prunable structure, in mask order. */
  List<Structure> structures();

  Masks masks();

  /**
   * The structures as the model was built, before any compaction (the same as {@link #structures()}
   * for a model never compacted).
   */
  default List<Structure> structuresAsBuilt() {
    return structures();
  }

  /**
   * {@link #structuresAsBuilt()} with, among each structure's slices, the buffers that belong to it
   * (a filter's batch-norm running mean and variance): what a compaction cuts from the model's
   * state ({@link Parameters#state()}). Regularizers, importances and diagnostics use {@link
   * #structures()}, whose slices are trainable parameters only.
   */
  default List<Structure> structuresWithBuffers() {
    return structuresAsBuilt();
  }

  /**
   * The weight-level masks of the model's prunable weights (convolution and linear weights), for
   * the {@code weights} pruning scope; empty for a model whose forward pass does not read its
   * weights through them.
   */
  default WeightMasks weightMasks() {
    return new WeightMasks();
  }

  /**
   * Which structures are still in the model's tensors (see {@link Compaction}); the identity for a
   * model that was never compacted.
   */
  default Compaction compaction() {
    int[] sizes = new int[masks().layers()];
    for (int l = 0; l < sizes.length; l++) {
      sizes[l] = masks().size(l);
    }
    return Compaction.identity(sizes);
  }

  /**
   * Whether this model can slice group {@code layer}'s pruned structures out of its tensors; a
   * group it cannot compact stays masked.
   */
  default boolean compactable(int layer) {
    return false;
  }

  /**
   * Slices out of the tensors the structures {@code target} no longer holds (it must hold a subset
   * of {@link #compaction()}'s) and returns the cuts it made, so that the caller can cut the
   * optimizer's state the same way. {@link #structures()} then gives the structures' slices in the
   * smaller tensors (none for a sliced-out structure); ids, masks and gates keep their original
   * indexing.
   *
   * @throws UnsupportedOperationException if {@code target} removes a structure of a group the
   *     model cannot compact
   */
  default List<Compaction.Cut> compact(Compaction target) {
    if (!target.within(compaction()) || !compaction().within(target)) {
      throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot compact");
    }
    return List.of();
  }

  /**
   * Sets soft gates on layer {@code layer}: from now on the forward pass multiplies structure
   * {@code i}'s output by {@code gate[i]} on top of its mask entry, so recording gradients gives
   * {@code dL/dgate} — what the scoring methods (grad-score, pl-gate) differentiate. The model does
   * not own or close {@code gate}; {@link #clearGates} ends it.
   *
   * @param gate a vector of {@code masks().size(layer)} floats on the model's device
   */
  void setGate(int layer, ai.djl.ndarray.NDArray gate);

  /** Removes every soft gate: the forward pass is the masked model's again. */
  void clearGates();

  /**
   * Sets an observer of the filter layers' outputs, or removes it ({@code null}): from now on each
   * forward pass hands it layer l's masked feature maps {@code [batch, filters, H, W]} (before the
   * activation) and l; in a compacted layer channel c is its c-th filter still in the tensors
   * ({@link Compaction#presentIndices}). The arrays belong to the forward pass; the observer must
   * not close them.
   *
   * @throws UnsupportedOperationException for a model without convolution filters
   */
  default void observeFeatureMaps(java.util.function.ObjIntConsumer<NDArray> observer) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " has no convolution feature maps");
  }

  /**
   * The model's output for a batch (logits); records gradients when the thread's grad mode is on.
   */
  NDArray forward(NDArray input);

  /**
   * Parameters that still take part in the computation under the current masks (structure masks and
   * weight-level masks).
   */
  long keptParameters();

  /** Multiply-adds times two per sample under the current masks (an estimate). */
  long flopsPerSample();

  /**
   * Switches to training behaviour for optimizer step {@code step}: batch statistics in batch norm
   * (and running statistics updated), dropout on with its mask drawn from the model's dropout
   * stream at a position that is a function of {@code step}, so a resumed run drops exactly what an
   * uninterrupted one would. Models without such layers ignore it.
   */
  default void trainingStep(long step) {}

  /** Switches to evaluation behaviour: running statistics in batch norm, no dropout. */
  default void evaluation() {}

  @Override
  void close();
}
