package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchesTest {
  private final RandomStreams streams = new RandomStreams(2023);

  @Test
  void everySampleOnceAnEpochAndEpochsDiffer() {
    Batches batches = new Batches(streams, 1000);
    int[] identity = IntStream.range(0, 1000).toArray();
    int[] first = batches.order(0);
    assertThat(Arrays.stream(first).sorted().toArray()).isEqualTo(identity);
    assertThat(first).isNotEqualTo(identity);
    int[] second = batches.order(1);
    assertThat(Arrays.stream(second).sorted().toArray()).isEqualTo(identity);
    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void orderIsThePermutationOfTheDataOrderStreamAtTheEpochsPosition() {
    RandomStream s = streams.stream(RandomStreams.DATA_ORDER);
    s.seek(3L << 32);
    assertThat(new Batches(streams, 77).order(3)).isEqualTo(s.permutation(77));
  }

  @Test
  void sameSeedSameOrderOtherSeedOtherOrder() {
    assertThat(new Batches(new RandomStreams(2023), 500).order(4))
        .isEqualTo(new Batches(streams, 500).order(4));
    assertThat(new Batches(new RandomStreams(2024), 500).order(4))
        .isNotEqualTo(new Batches(streams, 500).order(4));
  }

  @Test
  void stepsConcatenateEpochsAndDropTheLastPartialBatch() {
    Batches batches = new Batches(streams, 103);
    int batchSize = 10;
    assertThat(batches.batchesPerEpoch(batchSize)).isEqualTo(10);
    for (int epoch = 0; epoch < 3; epoch++) {
      int[] order = batches.order(epoch);
      int[] seen = new int[0];
      for (int b = 0; b < 10; b++) {
        int[] batch = batches.batch(epoch * 10L + b, batchSize);
        assertThat(batch).isEqualTo(Arrays.copyOfRange(order, b * 10, b * 10 + 10));
        seen = IntStream.concat(IntStream.of(seen), IntStream.of(batch)).toArray();
      }
      assertThat(Arrays.stream(seen).distinct().count()).isEqualTo(100);
      assertThat(batches.epochOf(epoch * 10L + 9, batchSize)).isEqualTo(epoch);
    }
  }

  @Test
  void aResumedRunSeesTheSameBatches() {
    Batches uninterrupted = new Batches(streams, 64);
    int[][] expected = new int[40][];
    for (int step = 0; step < 40; step++) {
      expected[step] = uninterrupted.batch(step, 8);
    }
    // a fresh instance that starts at step 27 (after a resume), and one that jumps around
    Batches resumed = new Batches(new RandomStreams(2023), 64);
    for (int step = 27; step < 40; step++) {
      assertThat(resumed.batch(step, 8)).isEqualTo(expected[step]);
    }
    Batches jumping = new Batches(new RandomStreams(2023), 64);
    for (int step : new int[] {39, 0, 17, 8, 16, 39, 3}) {
      assertThat(jumping.batch(step, 8)).isEqualTo(expected[step]);
    }
  }

  @Test
  void returnedArraysDoNotAliasTheCache() {
    Batches batches = new Batches(streams, 20);
    int[] order = batches.order(0);
    order[0] = -1;
    batches.batch(0, 5)[0] = -1;
    assertThat(batches.order(0)).doesNotContain(-1);
  }

  @Test
  void badArgumentsAreRefused() {
    Batches batches = new Batches(streams, 20);
    assertThatThrownBy(() -> batches.batch(0, 21)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> batches.batch(-1, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Batches(streams, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
