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
   * Sets soft gates on layer {@code layer}: from now on the forward pass multiplies structure
   * {@code i}'s output by {@code gate[i]} on top of its mask entry, so recording gradients gives
   * {@code dL/dgate} — what the scoring methods (grad-score, pl-gate) differentiate. The model
   * does not own or close {@code gate}; {@link #clearGates} ends it.
   *
   * @param gate a vector of {@code masks().size(layer)} floats on the model's device
   */
  void setGate(int layer, ai.djl.ndarray.NDArray gate);

  /** Removes every soft gate: the forward pass is the masked model's again. */
  void clearGates();

  /** The model's output for a batch (logits); records gradients when the thread's grad mode is on. */
  NDArray forward(NDArray input);

  /** Parameters that still take part in the computation under the current masks. */
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
