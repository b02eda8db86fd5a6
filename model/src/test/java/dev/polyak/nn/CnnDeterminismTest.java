package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same CNN: identical initial weights and buffers, and training-mode forwards (batch
 * statistics, dropout at a given step) and backward passes in two threads at once give the same
 * logits and gradients to the bit.
 */
class CnnDeterminismTest {
  private static Vgg16 vgg(NDManager manager, long seed) {
    RandomStreams streams = new RandomStreams(seed);
    return new Vgg16(
        Vgg16.Config.reduced(10, 16),
        manager,
        streams.stream(RandomStreams.INIT),
        streams.stream(RandomStreams.DROPOUT));
  }

  private static ResNet56 resNet8(NDManager manager, long seed) {
    return new ResNet56(
        new ResNet56.Config(1, 10), manager, new RandomStreams(seed).stream(RandomStreams.INIT));
  }

  private static Map<String, float[]> state(MaskedModel model) {
    Map<String, float[]> state = new LinkedHashMap<>();
    model.parameters().state().forEach((name, array) -> state.put(name, array.toFloatArray()));
    return state;
  }

  /**
   * Builds the model from seed 5, runs a training step's forward and backward; logits then
   * gradients.
   */
  private static Map<String, float[]> trainingPass(BiFunction<NDManager, Long, MaskedModel> build) {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        MaskedModel model = build.apply(manager, 5L)) {
      model.masks().set(0, 1, false);
      model.trainingStep(3);
      Map<String, float[]> out = new LinkedHashMap<>();
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray logits = model.forward(FilterMaskCheck.images(manager, 4));
        out.put("logits", logits.toFloatArray());
        Autograd.backward(logits.square().sum());
      }
      model
          .parameters()
          .all()
          .forEach((name, array) -> out.put(name, array.getGradient().toFloatArray()));
      model.parameters().buffers().forEach((name, array) -> out.put(name, array.toFloatArray()));
      return out;
    }
  }

  private static void sameInTwoThreads(BiFunction<NDManager, Long, MaskedModel> build)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Callable<Map<String, float[]>> pass = () -> trainingPass(build);
      Future<Map<String, float[]>> a = pool.submit(pass);
      Future<Map<String, float[]>> b = pool.submit(pass);
      Map<String, float[]> first = a.get();
      Map<String, float[]> second = b.get();
      assertThat(second.keySet()).containsExactlyElementsOf(first.keySet());
      first.forEach((name, values) -> assertThat(second.get(name)).as(name).isEqualTo(values));
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void sameSeedGivesTheSameInitialState() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 a = vgg(manager, 5);
        Vgg16 b = vgg(manager, 5);
        Vgg16 c = vgg(manager, 6);
        ResNet56 d = resNet8(manager, 5);
        ResNet56 e = resNet8(manager, 5)) {
      Map<String, float[]> first = state(a);
      Map<String, float[]> second = state(b);
      assertThat(second.keySet()).containsExactlyElementsOf(first.keySet());
      first.forEach((name, values) -> assertThat(second.get(name)).as(name).isEqualTo(values));
      assertThat(state(c).get("features.0.weight")).isNotEqualTo(first.get("features.0.weight"));
      Map<String, float[]> third = state(d);
      state(e).forEach((name, values) -> assertThat(values).as(name).isEqualTo(third.get(name)));
    }
  }

  @Test
  void vggTrainingPassesInTwoThreadsAgreeToTheBit() throws Exception {
    sameInTwoThreads(CnnDeterminismTest::vgg);
  }

  @Test
  void resNetTrainingPassesInTwoThreadsAgreeToTheBit() throws Exception {
    sameInTwoThreads(CnnDeterminismTest::resNet8);
  }
}
