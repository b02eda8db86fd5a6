package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.Bert;
import org.junit.jupiter.api.Test;

/** A long training loop holds its native memory flat: no array or manager outlives its step. */
class NativeMemoryTest {
  /**
   * Every NDArray still open anywhere in the engine (the system manager holds every base manager).
   */
  private static long liveArrays() {
    try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
      return probe.getParentManager().getManagedArrays().size();
    }
  }

  @Test
  void liveArraysReturnToTheirBaselineOverThousandsOfSteps() {
    int vocabulary = 40;
    TokenDataset data = ToyTokens.random(1, 64, 16, vocabulary);
    Bert.Config model = new Bert.Config(vocabulary, 16, 1, 2, 32, 16);
    TrainingConfig run = TestRuns.adamw(1, 3000, 4, 1e-3, 10, 0.01, 1000, 8);
    try (MlmTrainer trainer = new MlmTrainer(model, run, data, data)) {
      trainer.train(20, r -> {});
      long baseline = liveArrays();
      trainer.train(1020, r -> {});
      long middle = liveArrays();
      trainer.train(3000, r -> {});
      assertThat(middle).isEqualTo(baseline);
      assertThat(liveArrays()).isEqualTo(baseline);
    }
  }
}
