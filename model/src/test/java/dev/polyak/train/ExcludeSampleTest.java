package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.data.read.Batches;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.random.RandomStreams;
import dev.polyak.testing.ToyImages;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Training on the split without one sample ({@link Trainer#excludeSample}): the sample is never
 * drawn, every other one is drawn once per epoch, nothing changes when nothing is excluded, and the
 * trajectory is the one of a split that lacks the sample altogether.
 */
class ExcludeSampleTest {
  private static final int SAMPLES = 45;
  private static final int BATCH = 4; // 44 remaining samples: 11 whole batches per epoch

  @Test
  void anExcludedSampleIsNeverDrawnAndEveryOtherOnceAnEpoch() {
    ImageDataset data = ToyImages.random(1, SAMPLES);
    int excluded = 17;
    try (Trainer trainer = ToyImages.mlpTrainer(ToyImages.sgd(5, 100, BATCH, 0.05), data)) {
      trainer.excludeSample(excluded);
      assertThat(trainer.excludedSample()).hasValue(excluded);
      int[] others = IntStream.range(0, SAMPLES).filter(i -> i != excluded).toArray();
      int perEpoch = (SAMPLES - 1) / BATCH;
      for (int epoch = 0; epoch < 4; epoch++) {
        int[] seen = new int[0];
        for (int b = 0; b < perEpoch; b++) {
          int[] batch = trainer.batch((long) epoch * perEpoch + b);
          assertThat(batch).hasSize(BATCH).doesNotContain(excluded);
          seen = IntStream.concat(Arrays.stream(seen), Arrays.stream(batch)).toArray();
        }
        Arrays.sort(seen);
        assertThat(seen).as("epoch %d", epoch).containsExactly(others);
      }
    }
  }

  @Test
  void withNothingExcludedTheBatchesAreTheRunsDataOrder() {
    ImageDataset data = ToyImages.random(1, SAMPLES);
    Batches reference = new Batches(new RandomStreams(5), SAMPLES);
    try (Trainer trainer = ToyImages.mlpTrainer(ToyImages.sgd(5, 100, BATCH, 0.05), data)) {
      assertThat(trainer.excludedSample()).isEmpty();
      for (long step = 0; step < 40; step++) {
        assertThat(trainer.batch(step)).isEqualTo(reference.batch(step, BATCH));
      }
    }
  }

  @Test
  void excludingASampleTrainsAsASplitWithoutItDoes() {
    ImageDataset data = ToyImages.random(2, SAMPLES);
    int excluded = 30;
    TrainingConfig config = ToyImages.sgd(9, 25, BATCH, 0.05);
    Map<String, float[]> excluding;
    Map<String, float[]> without;
    try (Trainer trainer = ToyImages.mlpTrainer(config, data)) {
      trainer.excludeSample(excluded);
      trainer.train(25, record -> {});
      excluding = state(trainer);
    }
    try (Trainer trainer = ToyImages.mlpTrainer(config, ToyImages.without(data, excluded))) {
      trainer.train(25, record -> {});
      without = state(trainer);
    }
    assertThat(excluding.keySet()).isEqualTo(without.keySet());
    excluding.forEach((name, values) -> assertThat(values).as(name).isEqualTo(without.get(name)));
  }

  /** Weights, buffers and optimizer state. */
  private static Map<String, float[]> state(Trainer trainer) {
    Map<String, float[]> state = new LinkedHashMap<>();
    trainer
        .model()
        .parameters()
        .state()
        .forEach((name, array) -> state.put("weight " + name, array.toFloatArray()));
    trainer.optimizer().state().forEach((name, values) -> state.put("optimizer " + name, values));
    return state;
  }

  @Test
  void refusesABadIndexASecondExclusionAndTooFewSamplesForABatch() {
    ImageDataset data = ToyImages.random(1, 8);
    try (Trainer trainer = ToyImages.mlpTrainer(ToyImages.sgd(5, 10, 4, 0.05), data)) {
      assertThatThrownBy(() -> trainer.excludeSample(8))
          .hasMessageContaining("sample 8 is not in the training split (0..7)");
      assertThatThrownBy(() -> trainer.excludeSample(-1))
          .isInstanceOf(IllegalArgumentException.class);
      trainer.excludeSample(3);
      assertThatThrownBy(() -> trainer.excludeSample(4))
          .hasMessageContaining("sample 3 is already excluded");
    }
    try (Trainer trainer = ToyImages.mlpTrainer(ToyImages.sgd(5, 10, 8, 0.05), data)) {
      assertThatThrownBy(() -> trainer.excludeSample(0))
          .hasMessageContaining("batch_size 8")
          .hasMessageContaining("(7 samples)");
    }
  }
}
