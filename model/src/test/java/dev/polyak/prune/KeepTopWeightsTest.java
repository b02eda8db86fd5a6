package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The weight-level selection against hand-picked answers: exact counts, ties, protection. */
class KeepTopWeightsTest {
  private static final List<String> NAMES = List.of("a", "b");

  private static boolean[] all(int n) {
    boolean[] keep = new boolean[n];
    java.util.Arrays.fill(keep, true);
    return keep;
  }

  @Test
  void globalKeepsExactlyTheTargetWithTiesToTheEarlierWeight() {
    List<double[]> scores = List.of(new double[] {3, 1, 2, 2}, new double[] {2, 5, 0});
    boolean[][] keep =
        KeepTopWeights.select(NAMES, scores, List.of(all(4), all(3)), new int[] {4}, 0);
    // 5 and 3, then two of the three 2s: a[2], a[3] come before b[0].
    assertThat(keep[0]).containsExactly(true, false, true, true);
    assertThat(keep[1]).containsExactly(false, true, false);
  }

  @Test
  void aRemovedWeightNeverComesBackAndProtectionKeepsEachTensorsBest() {
    List<double[]> scores = List.of(new double[] {9, 8, 7}, new double[] {1, 0.5, 0.2});
    boolean[][] keep =
        KeepTopWeights.select(
            NAMES, scores, List.of(new boolean[] {false, true, true}, all(3)), new int[] {3}, 1);
    // b's best (1) is protected; then 8 and 7; the removed 9 stays removed.
    assertThat(keep[0]).containsExactly(false, true, true);
    assertThat(keep[1]).containsExactly(true, false, false);
  }

  @Test
  void perLayerKeepsEachTensorsOwnTarget() {
    List<double[]> scores = List.of(new double[] {1, 4, 3}, new double[] {6, 5, 7});
    boolean[][] keep =
        KeepTopWeights.select(NAMES, scores, List.of(all(3), all(3)), new int[] {1, 2}, 0);
    assertThat(keep[0]).containsExactly(false, true, false);
    assertThat(keep[1]).containsExactly(true, false, true);
  }

  @Test
  void refusesNaNAndATargetBelowProtection() {
    assertThatThrownBy(
            () ->
                KeepTopWeights.select(
                    NAMES,
                    List.of(new double[] {Double.NaN}, new double[] {1}),
                    List.of(all(1), all(1)),
                    new int[] {1},
                    0))
        .hasMessageContaining("weight a has a NaN score");
    assertThatThrownBy(
            () ->
                KeepTopWeights.select(
                    NAMES,
                    List.of(new double[] {1, 2}, new double[] {3}),
                    List.of(all(2), all(1)),
                    new int[] {1},
                    1))
        .hasMessageContaining("cannot keep 1 weights with 2 protected");
  }
}
