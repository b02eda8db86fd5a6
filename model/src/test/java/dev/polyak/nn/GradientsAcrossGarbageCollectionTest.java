package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.MemoryReuse;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Gradients must not depend on what the JVM does between the forward and the backward pass. DJL's
 * {@code div(Number)} freed the attention's 1/√d scalar right after the forward multiply while the
 * backward pass still read it; after a garbage collection and fresh allocations, the gradients of
 * every parameter upstream of the second layer's attention scores came out different (this test
 * failed on all three attempts before {@link Scalars}). Here a collection and NaN-filled
 * allocations happen in between, and every gradient must be bitwise what it is without.
 */
class GradientsAcrossGarbageCollectionTest {
  @Test
  void bertAndSwitchGradientsAreTheSameWithAGarbageCollectionBeforeTheBackwardPass() {
    Autograd.ensureEngine();
    Map<String, float[]> bert = gradients(false, false);
    Map<String, float[]> switchModel = gradients(false, true);
    for (int attempt = 0; attempt < 2; attempt++) {
      assertSame(gradients(true, false), bert, "bert, attempt " + attempt);
      assertSame(gradients(true, true), switchModel, "switch, attempt " + attempt);
    }
  }

  private static void assertSame(
      Map<String, float[]> actual, Map<String, float[]> expected, String what) {
    assertThat(actual).as(what).containsOnlyKeys(expected.keySet().toArray(new String[0]));
    expected.forEach(
        (name, values) -> assertThat(actual.get(name)).as(what + ": " + name).isEqualTo(values));
  }

  private static Map<String, float[]> gradients(
      boolean collectInBetween, boolean switchTransformer) {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        MlmModel model =
            switchTransformer
                ? new Switch(
                    new Switch.Config(500, 64, 2, 2, 64, 32, 4, 1.5, 0.01),
                    manager,
                    new RandomStreams(3).stream("init"))
                : new Bert(
                    new Bert.Config(500, 64, 2, 2, 128, 32),
                    manager,
                    new RandomStreams(3).stream("init"))) {
      int[] ids = new int[4 * 32];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + (i * 37) % 490;
      }
      try (NDScope scope = new NDScope()) {
        NDArray loss;
        try (Autograd.Mode on = Autograd.recording(true)) {
          MlmModel.Encoding encoding =
              model.encodeForTraining(manager.create(ids, new Shape(4, 32)));
          loss = encoding.hidden().square().mean().add(encoding.auxiliaryLoss());
        }
        if (collectInBetween) {
          MemoryReuse.collectAndReuse(manager, 1 << 16, 100);
        }
        Autograd.backward(loss);
      }
      Map<String, float[]> gradients = new TreeMap<>();
      model
          .parameters()
          .all()
          .forEach((name, array) -> gradients.put(name, array.getGradient().toFloatArray()));
      return gradients;
    }
  }
}
