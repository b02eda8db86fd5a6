package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Top-k selection with per-layer protection, against hand-worked cases. */
class KeepTopTest {
  /** Two layers of three heads: ids layer{l}/head{h}. */
  private static List<Structure> heads(int layers, int perLayer) {
    List<Structure> s = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      for (int h = 0; h < perLayer; h++) {
        s.add(new Structure("layer" + l + "/head" + h, l, h, Structure.Kind.HEAD, List.of()));
      }
    }
    return s;
  }

  @Test
  void keepsTheHighestScores() {
    boolean[] keep = KeepTop.select(heads(2, 3), new double[] {5, 1, 3, 4, 2, 6}, 3, 0);
    assertThat(keep).containsExactly(true, false, false, true, false, true);
  }

  @Test
  void protectionKeepsTheBestOfALayerThatWouldLoseEverything() {
    // layer 0 scores all below layer 1's: top-3 would empty layer 0; protection keeps its best
    // (index 2)
    boolean[] keep = KeepTop.select(heads(2, 3), new double[] {1, 2, 3, 7, 8, 9}, 3, 1);
    assertThat(keep).containsExactly(false, false, true, false, true, true);
  }

  @Test
  void tiesGoToTheLowerIndex() {
    boolean[] keep = KeepTop.select(heads(1, 4), new double[] {2, 2, 2, 2}, 2, 0);
    assertThat(keep).containsExactly(true, true, false, false);
  }

  @Test
  void impossibleTargetsAndNaNAreRefused() {
    assertThatThrownBy(() -> KeepTop.select(heads(3, 2), new double[6], 2, 1))
        .hasMessageContaining("3 protected");
    assertThatThrownBy(() -> KeepTop.select(heads(1, 2), new double[] {1, Double.NaN}, 1, 0))
        .hasMessageContaining("layer0/head1");
    assertThatThrownBy(() -> KeepTop.select(heads(1, 2), new double[] {1}, 1, 0))
        .hasMessageContaining("1 scores");
  }

  @Test
  void perLayerKeepsEachLayersOwnCountOfItsBest() {
    // layer 0 scores all below layer 1's; per layer, each keeps its own best: 1 of layer 0, 2 of
    // layer 1
    boolean[] keep =
        KeepTop.perLayer(heads(2, 3), new double[] {1, 3, 2, 7, 9, 8}, new int[] {1, 2}, 0);
    assertThat(keep).containsExactly(false, true, false, false, true, true);
  }

  @Test
  void perLayerProtectionIsAFloorUnderALayersCount() {
    boolean[] keep =
        KeepTop.perLayer(heads(2, 3), new double[] {1, 3, 2, 7, 9, 8}, new int[] {0, 1}, 2);
    assertThat(keep).containsExactly(false, true, true, false, true, true);
    assertThatThrownBy(() -> KeepTop.perLayer(heads(2, 3), new double[6], new int[] {4, 1}, 0))
        .hasMessageContaining("cannot keep 4 of the 3 structures of layer 0");
    assertThatThrownBy(() -> KeepTop.perLayer(heads(2, 3), new double[6], new int[] {1}, 0))
        .hasMessageContaining("1 layer counts for 2 layers");
  }
}
