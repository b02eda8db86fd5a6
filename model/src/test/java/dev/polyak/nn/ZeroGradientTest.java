package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Zeroing a gradient gives exact zeros even where it was infinite (d/dw log w at w = 0), and the
 * next backward pass accumulates from there; the optimizers leave such a gradient zeroed too.
 * Subtracting the gradient from itself left NaN there.
 */
class ZeroGradientTest {
  private static NDArray withInfiniteGradient(NDManager manager) {
    NDArray w = manager.create(new float[] {1f, 0f, 2f});
    w.setRequiresGradient(true);
    try (Autograd.Mode on = Autograd.recording(true)) {
      Autograd.backward(w.log().sum());
    }
    assertThat(w.getGradient().toFloatArray()).containsExactly(1f, Float.POSITIVE_INFINITY, 0.5f);
    return w;
  }

  @Test
  void anInfiniteGradientIsZeroedExactlyAndTheNextBackwardStartsFromZero() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray w = withInfiniteGradient(manager);
      Autograd.zeroGradients(List.of(w));
      assertThat(w.getGradient().toFloatArray()).containsExactly(0f, 0f, 0f);
      try (Autograd.Mode on = Autograd.recording(true)) {
        Autograd.backward(w.mul(w).sum());
      }
      assertThat(w.getGradient().toFloatArray()).containsExactly(2f, 0f, 4f);
    }
  }

  @Test
  void theOptimizersLeaveAnInfiniteGradientZeroed() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (Optimizer optimizer :
          List.<Optimizer>of(
              new Sgd(manager, 0.9f, 0f), new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0f))) {
        try (optimizer;
            Parameters parameters = new Parameters(manager)) {
          NDArray w =
              parameters.add("w", new float[] {1f, 0f, 2f}, new ai.djl.ndarray.types.Shape(3));
          try (Autograd.Mode on = Autograd.recording(true)) {
            Autograd.backward(w.log().sum());
          }
          optimizer.step(parameters, 0.1f);
          assertThat(w.getGradient().toFloatArray())
              .as(optimizer.getClass().getSimpleName())
              .containsExactly(0f, 0f, 0f);
        }
      }
    }
  }
}
