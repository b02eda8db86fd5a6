package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * Training steps of the CNNs (forward with batch norm and dropout, backward, SGD) leave no array
 * behind: the engine's count of live arrays returns to its baseline over two hundred steps.
 */
class CnnNativeMemoryTest {
  /**
   * Every NDArray still open anywhere in the engine (the system manager holds every base manager).
   */
  private static long liveArrays() {
    try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
      return probe.getParentManager().getManagedArrays().size();
    }
  }

  private static void train(MaskedModel model, Sgd optimizer, NDManager manager, int from, int to) {
    for (int step = from; step < to; step++) {
      CnnTrainingStep.run(model, optimizer, manager, new int[] {1, 3}, 10, 0.01f, step);
    }
    model.evaluation();
    try (NDManager batch = manager.newSubManager();
        Autograd.Mode off = Autograd.recording(false)) {
      model.forward(FilterMaskCheck.images(batch, 2));
    }
  }

  private static void holdsFlat(MaskedModel model, NDManager manager) {
    model.masks().set(1, 0, false);
    try (Sgd optimizer = new Sgd(manager, 0.9f, 5e-4f)) {
      train(model, optimizer, manager, 0, 20);
      long baseline = liveArrays();
      train(model, optimizer, manager, 20, 80);
      long middle = liveArrays();
      train(model, optimizer, manager, 80, 200);
      assertThat(middle).isEqualTo(baseline);
      assertThat(liveArrays()).isEqualTo(baseline);
    }
  }

  @Test
  void vggHoldsItsArraysFlat() {
    Autograd.ensureEngine();
    RandomStreams streams = new RandomStreams(3);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model =
            new Vgg16(
                Vgg16.Config.reduced(10, 16),
                manager,
                streams.stream(RandomStreams.INIT),
                streams.stream(RandomStreams.DROPOUT))) {
      holdsFlat(model, manager);
    }
  }

  @Test
  void resNetHoldsItsArraysFlat() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 model =
            new ResNet56(
                new ResNet56.Config(1, 10),
                manager,
                new RandomStreams(3).stream(RandomStreams.INIT))) {
      holdsFlat(model, manager);
    }
  }
}
