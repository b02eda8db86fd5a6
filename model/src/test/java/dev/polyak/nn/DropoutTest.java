package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Dropout masks are a function of (seed, step, slot) only: the same in any thread and after a
 * resume, different from step to step; they keep 1 - p of the elements, scaled by 1 / (1 - p); and
 * evaluation mode has no dropout.
 */
class DropoutTest {
  private static final int SIZE = 100_000;

  private static RandomStream stream() {
    return new RandomStreams(21).stream(RandomStreams.DROPOUT);
  }

  @Test
  void sameStepGivesTheSameMaskAcrossThreadsAndResumes() throws Exception {
    Dropout dropout = new Dropout(0.5f, 0, stream());
    float[] step7 = dropout.mask(7, SIZE);
    dropout.mask(8, SIZE);
    assertThat(dropout.mask(7, SIZE)).isEqualTo(step7);
    // A fresh dropout (a resumed run) that never drew steps 0..6.
    assertThat(new Dropout(0.5f, 0, stream()).mask(7, SIZE)).isEqualTo(step7);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<float[]> a = pool.submit(() -> new Dropout(0.5f, 0, stream()).mask(7, SIZE));
      Future<float[]> b = pool.submit(() -> new Dropout(0.5f, 0, stream()).mask(7, SIZE));
      assertThat(a.get()).isEqualTo(step7);
      assertThat(b.get()).isEqualTo(step7);
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void differentStepsOrSlotsGiveDifferentMasks() {
    float[] step7 = new Dropout(0.5f, 0, stream()).mask(7, SIZE);
    assertThat(new Dropout(0.5f, 0, stream()).mask(8, SIZE)).isNotEqualTo(step7);
    assertThat(new Dropout(0.5f, 1, stream()).mask(7, SIZE)).isNotEqualTo(step7);
    assertThat(
            new Dropout(0.5f, 0, new RandomStreams(22).stream(RandomStreams.DROPOUT)).mask(7, SIZE))
        .isNotEqualTo(step7);
  }

  @Test
  void keepsOneMinusPOfTheElementsScaledByItsInverse() {
    for (float p : new float[] {0.1f, 0.5f, 0.8f}) {
      float[] mask = new Dropout(p, 0, stream()).mask(3, SIZE);
      int kept = 0;
      for (float m : mask) {
        assertThat(m).isIn(0f, 1f / (1f - p));
        kept += m != 0f ? 1 : 0;
      }
      // Binomial standard deviation sqrt(p (1-p) / n) <= 0.0016; allow five of them.
      assertThat(kept / (double) SIZE).as("keep rate at p=%s", p).isCloseTo(1 - p, within(0.008));
    }
  }

  @Test
  void theGradientThroughDropoutIsTheMaskEvenWhenMemoryIsReusedBeforeTheBackwardPass() {
    // The backward pass reads the mask array. Closed right after the forward multiply (as once
    // here), its memory went back to the allocator, arrays made next reused it, and the gradient
    // read their values: sporadic garbage and NaN in VGG-16 training.
    Autograd.ensureEngine();
    int n = 4096;
    float[] mask = new Dropout(0.5f, 0, stream()).mask(7, n);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (int attempt = 0; attempt < 20; attempt++) {
        try (NDScope scope = new NDScope()) {
          NDArray input = manager.ones(new ai.djl.ndarray.types.Shape(n));
          input.setRequiresGradient(true);
          NDArray total;
          try (Autograd.Mode on = Autograd.recording(true)) {
            total = new Dropout(0.5f, 0, stream()).apply(input, 7).sum();
          }
          dev.polyak.testing.MemoryReuse.collectAndReuse(manager, n, 50);
          Autograd.backward(total);
          assertThat(input.getGradient().toFloatArray()).as("attempt %d", attempt).isEqualTo(mask);
        }
      }
    }
  }

  @Test
  void applyMultipliesByTheMaskAndZeroProbabilityIsIdentity() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      float[] values = new float[64];
      java.util.Arrays.fill(values, 3f);
      NDArray input = manager.create(values, new ai.djl.ndarray.types.Shape(4, 16));
      float[] mask = new Dropout(0.25f, 0, stream()).mask(2, 64);
      float[] out = new Dropout(0.25f, 0, stream()).apply(input, 2).toFloatArray();
      for (int i = 0; i < 64; i++) {
        assertThat(out[i]).isEqualTo(3f * mask[i]);
      }
      assertThat(new Dropout(0f, 0, stream()).apply(input, 2)).isSameAs(input);
    }
  }

  @Test
  void vggHasNoDropoutInEvaluationMode() {
    Autograd.ensureEngine();
    Vgg16.Config withDropout = Vgg16.Config.reduced(10, 16);
    Vgg16.Config without = new Vgg16.Config(10, withDropout.channels(), withDropout.hidden(), 0f);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Autograd.Mode off = Autograd.recording(false);
        Vgg16 a =
            new Vgg16(
                withDropout, manager, new RandomStreams(2).stream(RandomStreams.INIT), stream());
        Vgg16 b =
            new Vgg16(
                without, manager, new RandomStreams(2).stream(RandomStreams.INIT), stream())) {
      NDArray x = FilterMaskCheck.images(manager, 4);
      assertThat(a.forward(x).toFloatArray()).isEqualTo(b.forward(x).toFloatArray());
      a.trainingStep(1);
      b.trainingStep(1);
      float[] dropped = a.forward(x).toFloatArray();
      assertThat(dropped).isNotEqualTo(b.forward(x).toFloatArray());
      // The same step again: the same mask (batch statistics are the same too).
      assertThat(a.forward(x).toFloatArray()).isEqualTo(dropped);
      a.trainingStep(2);
      assertThat(a.forward(x).toFloatArray()).isNotEqualTo(dropped);
    }
  }
}
