package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * One SGD step of a CNN on a fixed batch with softmax cross-entropy, every temporary array freed.
 */
final class CnnTrainingStep {
  private CnnTrainingStep() {}

  /**
   * Trains at optimizer step {@code step} on CIFAR-shaped noise images (fixed) with {@code labels};
   * returns the loss before the step.
   */
  static float run(
      MaskedModel model,
      Optimizer optimizer,
      NDManager manager,
      int[] labels,
      int classes,
      float learningRate,
      long step) {
    model.trainingStep(step);
    float loss;
    try (NDScope scope = new NDScope();
        NDManager batch = manager.newSubManager();
        Autograd.Mode on = Autograd.recording(true)) {
      NDArray logits = model.forward(FilterMaskCheck.images(batch, labels.length));
      NDArray onehot = batch.create(labels).oneHot(classes);
      NDArray mean = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
      loss = mean.getFloat();
      Autograd.backward(mean);
    }
    optimizer.step(model.parameters(), learningRate);
    return loss;
  }
}
