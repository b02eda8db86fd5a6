package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A model whose prunable structures are data and whose masks act in the forward pass. */
public interface MaskedModel extends AutoCloseable {
  Parameters parameters();

  /** Every prunable structure, in mask order. */
  List<Structure> structures();

  Masks masks();

  /** The model's output for a batch (logits); records gradients when the thread's grad mode is on. */
  NDArray forward(NDArray input);

  /** Parameters that still take part in the computation under the current masks. */
  long keptParameters();

  /** Multiply-adds times two per sample under the current masks (an estimate). */
  long flopsPerSample();

  @Override
  void close();
}
