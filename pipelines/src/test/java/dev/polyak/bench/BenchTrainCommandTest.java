package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Bert;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

class BenchTrainCommandTest {
  /**
   * bert-small's matrix-product FLOPs per training token, worked out by hand from the shapes (h
   * 256, 4 layers, FFN 1024, T 128, V 33,278): per layer and token Q, K, V and the output
   * projection 8h², scores and context 4Th, the FFN 4h·FFN; the MLM head 2h² + 2hV at 15 % of the
   * positions; times 3 for the backward pass.
   */
  @Test
  void trainingFlopsPerTokenOfBertSmallAreTheHandCount() {
    Bert.Config c = BenchTrainCommand.bertSmall();
    double h = 256;
    double perLayer = 8 * h * h + 4 * 128 * h + 4 * h * 1024;
    double head = 2 * h * h + 2 * h * 33_278;
    double expected = 3 * (4 * perLayer + 0.15 * head);
    assertThat(expected).isCloseTo(28.17e6, within(0.01e6));
    try (NDManager manager = NDManager.newBaseManager();
        Bert bert = new Bert(c, manager, new RandomStreams(0).stream(RandomStreams.INIT))) {
      assertThat(BenchTrainCommand.trainingFlopsPerToken(bert.flopsPerSample(), c, 0.15))
          .isCloseTo(expected, within(1e-6 * expected));
    }
  }
}
