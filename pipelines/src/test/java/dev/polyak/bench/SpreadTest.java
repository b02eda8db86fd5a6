package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpreadTest {
  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(Spread.median(new double[] {3, 1, 2})).isEqualTo(2);
    assertThat(Spread.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
  }

  @Test
  void aSpreadHoldsTheMedianTheEndsAndTheCount() {
    assertThat(Spread.of(new double[] {4, 1, 3, 2})).isEqualTo(new Spread(2.5, 1, 4, 4));
    assertThatThrownBy(() -> Spread.of(new double[0])).hasMessage("no values");
  }
}
