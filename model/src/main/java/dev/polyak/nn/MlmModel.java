package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A masked-language model as a trainer sees it: an encoder from token ids to hidden states and an
 * MLM head from hidden states to vocabulary logits, split so that the head runs on the masked rows
 * alone. Models with a training-only loss of their own (a mixture of experts' load-balancing loss)
 * return it from {@link #encodeForTraining}, so one trainer serves BERT and Switch alike.
 */
public interface MlmModel extends MaskedModel {
  /**
   * Hidden states and the model's own loss term of the pass that computed them.
   *
   * @param hidden {@code [batch, length, hidden]}
   * @param auxiliaryLoss a scalar to add to the task loss as it is (already weighted by its
   *     coefficient); zero for a model without one
   */
  record Encoding(NDArray hidden, NDArray auxiliaryLoss) {}

  /**
   * Hidden states {@code [batch, length, hidden]} for token ids {@code [batch, length]} (int32 or
   * int64).
   */
  NDArray encode(NDArray ids);

  /** As {@link #encode} plus the auxiliary loss of this pass; a model without one returns zero. */
  default Encoding encodeForTraining(NDArray ids) {
    NDArray hidden = encode(ids);
    return new Encoding(hidden, hidden.getManager().zeros(new Shape()));
  }

  /** MLM logits {@code [rows, vocab]} for hidden states {@code [rows, hidden]}. */
  NDArray mlmLogits(NDArray hidden);

  /** Logits {@code [batch, length, vocab]} at every position. */
  @Override
  default NDArray forward(NDArray ids) {
    return mlmLogits(encode(ids));
  }

  /** The sizes of the embeddings, the attention and the MLM head, as a BERT config. */
  Bert.Config encoderConfig();

  default int hiddenSize() {
    return encoderConfig().hidden();
  }

  default int vocabSize() {
    return encoderConfig().vocabSize();
  }
}
