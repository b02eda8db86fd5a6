package dev.polyak.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * The CPU native library comes from the pytorch-native-cpu jar on the classpath: with DJL's offline
 * mode on, the engine must load and compute without downloading anything.
 */
class PyTorchEngineOfflineTest {
  @Test
  void engineLoadsFromTheClasspathJarAndComputes() {
    System.setProperty("ai.djl.offline", "true");
    Engine engine = Engine.getEngine("PyTorch");
    assertThat(engine.getVersion()).startsWith("2.7.1");
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray a = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
      NDArray product = a.matMul(a);
      // [[1,2],[3,4]]^2 = [[7,10],[15,22]]
      assertThat(product.toFloatArray()).containsExactly(7f, 10f, 15f, 22f);
    }
  }
}
