package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Random pruning is uniform over structures (chi-square over seeds) and fixed by seed and event.
 */
class RandomImportanceTest {
  @Test
  void everyStructureIsPrunedEquallyOftenOverSeeds() {
    List<Structure> structures = new ArrayList<>();
    for (int h = 0; h < 8; h++) {
      structures.add(new Structure("layer0/head" + h, 0, h, Structure.Kind.HEAD, List.of()));
    }
    int seeds = 4000;
    int[] pruned = new int[8];
    for (long seed = 0; seed < seeds; seed++) {
      boolean[] keep = KeepTop.select(structures, RandomImportance.scores(8, seed, 0), 6, 1);
      for (int h = 0; h < 8; h++) {
        pruned[h] += keep[h] ? 0 : 1;
      }
    }
    double expected = seeds * 2 / 8.0;
    double chiSquare = 0;
    for (int count : pruned) {
      chiSquare += (count - expected) * (count - expected) / expected;
    }
    // 7 degrees of freedom: P(chi2 > 24.32) = 0.001
    assertThat(chiSquare)
        .as("pruned counts %s", java.util.Arrays.toString(pruned))
        .isLessThan(24.32);
  }

  @Test
  void theSameSeedAndEventDrawTheSameAndEventsDiffer() {
    assertThat(RandomImportance.scores(16, 5, 0))
        .containsExactly(RandomImportance.scores(16, 5, 0));
    assertThat(RandomImportance.scores(16, 5, 1)).isNotEqualTo(RandomImportance.scores(16, 5, 0));
    assertThat(RandomImportance.scores(16, 6, 0)).isNotEqualTo(RandomImportance.scores(16, 5, 0));
  }
}
