package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Structure;
import dev.polyak.nn.Vgg16;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FPGM against distance sums computed here from filters built to have a known geometric median: C,
 * C ± D_k and a duplicate of C, whose median is C (the unit vectors towards the ± pairs cancel).
 */
class FpgmTest {
  private static final RandomStreams STREAMS = new RandomStreams(21);

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void theFiltersAtTheGeometricMedianOfAConvolutionScoreLowestAndScoresAreDistanceSums() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model =
            new Vgg16(
                Vgg16.Config.reduced(10, 8),
                manager,
                STREAMS.stream("init"),
                STREAMS.stream("dropout"))) {
      List<Structure> layer0 = model.structures().stream().filter(s -> s.layer() == 0).toList();
      String weight = layer0.get(0).slices().get(0).parameter();
      NDArray conv = model.parameters().get(weight);
      assertThat(layer0).hasSize(8);
      int size = (int) (conv.getShape().size() / 8);
      RandomStream random = STREAMS.stream("filters");
      float[] center = gaussian(random, size);
      float[][] filters = new float[8][];
      filters[1] = center;
      filters[7] = center.clone(); // a duplicate of the median
      for (int k = 0; k < 3; k++) {
        float[] d = gaussian(random, size);
        filters[k == 0 ? 0 : 2 * k + 1] = combine(center, d, 1);
        filters[k == 0 ? 2 : 2 * k + 2] = combine(center, d, -1);
      }
      float[] flat = new float[8 * size];
      for (int f = 0; f < 8; f++) {
        System.arraycopy(filters[f], 0, flat, f * size, size);
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        conv.set(flat);
      }
      model.masks().set(0, 3, false); // a masked filter counts by its weights, as they are

      double[] scores = Fpgm.scores(model);

      double[] expected = distanceSums(filters);
      for (int f = 0; f < 8; f++) {
        assertThat(scores[f])
            .as(layer0.get(f).id())
            .isCloseTo(expected[f], within(1e-9 * expected[f]));
      }
      assertThat(scores[1]).isEqualTo(scores[7]);
      for (int f : new int[] {0, 2, 3, 4, 5, 6}) {
        assertThat(scores[f]).as(layer0.get(f).id()).isGreaterThan(scores[1] + 1e-3);
      }
      boolean[] keep = KeepTop.select(layer0, java.util.Arrays.copyOf(scores, 8), 6, 1);
      assertThat(keep[1]).isFalse();
      assertThat(keep[7]).isFalse();
    }
  }

  @Test
  void neuronsAreComparedByTheirIncomingWeights() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model =
            new Mlp(new Mlp.Config(4, new int[] {5, 3}, 2), manager, STREAMS.stream("init"))) {
      double[] scores =
          new Fpgm()
              .scores(new ScoringContext(ProbeObjective.of(model, 1, null, null), 1, 0, 0, 1));
      float[] w0 =
          model
              .parameters()
              .get("w0")
              .toFloatArray(); // [4, 5]: neuron j's incoming weights are column j
      float[][] columns = new float[5][4];
      for (int e = 0; e < w0.length; e++) {
        columns[e % 5][e / 5] = w0[e];
      }
      double[] expected = distanceSums(columns);
      for (int j = 0; j < 5; j++) {
        assertThat(scores[j])
            .as("layer0/neuron%d", j)
            .isCloseTo(expected[j], within(1e-9 * expected[j]));
      }
    }
  }

  /**
   * Five neurons with 2-d incoming weights: f0 = (1, 0), f1 = (0, 0.1), f2 = (3, 4), f3 = (3, 3.5),
   * f4 = (−2, 0), norms 1, 0.1, 5, √21.25, 2. Keeping 2 of 5 (r = 0.6), the norm criterion keeps
   * f2, f3; mixed prunes floor(5/2) = 2 by norm (f1, f0), then among f2, f3, f4 the one with the
   * smallest distance sum: f3 (0.5 + √37.25) before f2 (0.5 + √41) and f4 (√41 + √37.25).
   */
  @Test
  void theNormAndMixedCriteriaAgainstHandComputedFilters() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp model = new Mlp(new Mlp.Config(2, new int[] {5}, 2), manager, STREAMS.stream("init"))) {
      float[][] filters = {{1, 0}, {0, 0.1f}, {3, 4}, {3, 3.5f}, {-2, 0}};
      float[] w0 = new float[10]; // [2, 5]: neuron j's incoming weights are column j
      for (int j = 0; j < 5; j++) {
        w0[j] = filters[j][0];
        w0[5 + j] = filters[j][1];
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        model.parameters().get("w0").set(w0);
      }
      List<Structure> layer0 = model.structures().subList(0, 5);
      double f1 = 0.1f;
      double f3 = Math.sqrt(9 + 3.5 * 3.5);

      double[] norm = java.util.Arrays.copyOf(Fpgm.scores(model, Fpgm.Criterion.NORM), 5);
      double[] mixed = java.util.Arrays.copyOf(Fpgm.scores(model, Fpgm.Criterion.MIXED), 5);

      assertThat(norm).containsExactly(new double[] {1, f1, 5, f3, 2}, within(1e-7));
      assertThat(mixed)
          .containsExactly(
              new double[] {
                -1 / 2.0,
                -1 / (1 + f1),
                0.5 + Math.sqrt(41),
                0.5 + Math.sqrt(37.25),
                Math.sqrt(41) + Math.sqrt(37.25)
              },
              within(1e-6));
      int[] keepTwo = {2};
      assertThat(KeepTop.perLayer(layer0, norm, keepTwo, 1))
          .containsExactly(false, false, true, true, false);
      assertThat(KeepTop.perLayer(layer0, mixed, keepTwo, 1))
          .containsExactly(false, false, true, false, true);
      // Up to half, mixed is the norm criterion: keeping 3 of 5 prunes f1 and f0 either way.
      assertThat(KeepTop.perLayer(layer0, mixed, new int[] {3}, 1))
          .isEqualTo(KeepTop.perLayer(layer0, norm, new int[] {3}, 1))
          .containsExactly(false, false, true, true, true);
    }
  }

  /**
   * The case: at initialisation the distance sums grow with a layer's width and fan-in, so
   * a global ranking at 50 % empties the narrow early convolutions; per layer, every convolution of
   * n_l filters keeps ⌈n_l / 2⌉, its own best.
   */
  @Test
  void perLayerKeepsHalfOfEveryConvolutionWhereAGlobalRankingEmptiesTheNarrowOnes() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 model =
            new Vgg16(
                Vgg16.Config.reduced(10, 8),
                manager,
                STREAMS.stream("init"),
                STREAMS.stream("dropout"))) {
      List<Structure> filters = model.structures();
      double[] scores = Fpgm.scores(model);
      PruningSchedule half = new PruningSchedule.OneShot(0, 0.5);
      int[] sizes = {8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64};

      boolean[] perLayer =
          KeepTop.perLayer(filters, scores, Allocation.PER_LAYER.keptAfter(half, 0, sizes, 1), 1);
      boolean[] global =
          KeepTop.select(filters, scores, Allocation.GLOBAL.keptAfter(half, 0, sizes, 1)[0], 1);

      int[] keptPerLayer = new int[13];
      int[] keptGlobally = new int[13];
      for (int s = 0; s < filters.size(); s++) {
        keptPerLayer[filters.get(s).layer()] += perLayer[s] ? 1 : 0;
        keptGlobally[filters.get(s).layer()] += global[s] ? 1 : 0;
        // per layer: kept iff fewer than n_l / 2 filters of its layer score higher (ties to the
        // lower index)
        int layer = filters.get(s).layer();
        int s0 = s;
        long better =
            java.util.stream.IntStream.range(0, filters.size())
                .filter(t -> filters.get(t).layer() == layer)
                .filter(t -> scores[t] > scores[s0] || scores[t] == scores[s0] && t < s0)
                .count();
        assertThat(perLayer[s]).as(filters.get(s).id()).isEqualTo(better < sizes[layer] / 2);
      }
      for (int l = 0; l < 13; l++) {
        assertThat(keptPerLayer[l]).as("layer %d", l).isEqualTo((sizes[l] + 1) / 2);
      }
      assertThat(java.util.Arrays.stream(keptGlobally).sum())
          .isEqualTo(java.util.Arrays.stream(sizes).sum() / 2);
      assertThat(keptGlobally[0]).as("global, first convolution").isLessThan(sizes[0] / 2);
    }
  }

  private static double[] distanceSums(float[][] filters) {
    double[] sums = new double[filters.length];
    for (int a = 0; a < filters.length; a++) {
      for (int b = 0; b < filters.length; b++) {
        double squares = 0;
        for (int k = 0; k < filters[a].length; k++) {
          squares += Math.pow((double) filters[a][k] - filters[b][k], 2);
        }
        sums[a] += Math.sqrt(squares);
      }
    }
    return sums;
  }

  private static float[] combine(float[] center, float[] direction, int sign) {
    float[] f = new float[center.length];
    for (int k = 0; k < f.length; k++) {
      f[k] = center[k] + sign * direction[k];
    }
    return f;
  }

  private static float[] gaussian(RandomStream random, int size) {
    float[] values = new float[size];
    random.fillGaussian(values, 1f);
    return values;
  }
}
