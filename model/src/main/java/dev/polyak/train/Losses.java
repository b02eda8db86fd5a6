package dev.polyak.train;

import ai.djl.ndarray.NDArray;

/** Loss functions shared by the trainers. */
final class Losses {
  private Losses() {}

  /**
   * Mean cross-entropy of {@code logits [rows, classes]} against class ids {@code targets}
   * (log-softmax, then the target's entry picked by a one-hot product: exact, and its gradient is
   * the textbook softmax minus one-hot).
   */
  static NDArray crossEntropy(NDArray logits, float[] targets) {
    long classes = logits.getShape().get(1);
    NDArray onehot = logits.getManager().create(targets).oneHot((int) classes);
    return logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
  }

  /** Number of rows whose largest logit is at the target class. */
  static long correct(NDArray logits, float[] targets) {
    long[] predicted = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
    long correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == (long) targets[i] ? 1 : 0;
    }
    return correct;
  }
}
