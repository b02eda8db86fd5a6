package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.Bert;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run whose loss stops being finite ends at once with the step, instead of training on NaNs. */
class DivergenceTest {
  @Test
  void anAbsurdLearningRateStopsTheRunAsDiverged() {
    int vocabulary = 30;
    TokenDataset data = ToyTokens.random(2, 32, 16, vocabulary);
    Bert.Config model = new Bert.Config(vocabulary, 16, 1, 2, 32, 16);
    TrainingConfig run = TestRuns.adamw(1, 500, 4, 1e30, 1, 0, 10, 8);
    List<MetricRecord> records = new ArrayList<>();
    try (MlmTrainer trainer = new MlmTrainer(model, run, data, data)) {
      DivergedException diverged =
          catchThrowableOfType(
              DivergedException.class, () -> trainer.train(Long.MAX_VALUE, records::add));
      assertThat(diverged).isNotNull();
      assertThat(diverged.step()).isLessThan(500);
      assertThat(diverged).hasMessageContaining("diverged at step " + diverged.step());
      assertThat(records).allSatisfy(r -> assertThat(r.trainLoss()).isFinite());
    }
  }
}
