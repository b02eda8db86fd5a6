package dev.polyak.train;

import ai.djl.ndarray.NDArray;

/** Loss functions shared by the trainers. */
final class Losses {
  private Losses() {}

  /**
   * Mean cross-entropy of {@code logits [rows, classes]} against class ids {@code targets}:
   * log-softmax, then each row's target entry gathered (no one-hot matrix: for a 33,278-word
   * vocabulary that would be another [rows, vocabulary] array per step).
   */
  static NDArray crossEntropy(NDArray logits, long[] targets) {
    NDArray index =
        logits.getManager().create(targets, new ai.djl.ndarray.types.Shape(targets.length, 1));
    return logits.logSoftmax(1).gather(index, 1).mean().neg();
  }

  /** Number of rows whose largest logit is at the target class. */
  static long correct(NDArray logits, long[] targets) {
    long[] predicted =
        logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
    long correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == targets[i] ? 1 : 0;
    }
    return correct;
  }
}
