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
 * FPGM against distance sums computed here from filters built to have a known geometric median:
 * C, C ± D_k and a duplicate of C, whose median is C (the unit vectors towards the ± pairs cancel).
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
        Vgg16 model = new Vgg16(Vgg16.Config.reduced(10, 8), manager, STREAMS.stream("init"), STREAMS.stream("dropout"))) {
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
        assertThat(scores[f]).as(layer0.get(f).id()).isCloseTo(expected[f], within(1e-9 * expected[f]));
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
        Mlp model = new Mlp(new Mlp.Config(4, new int[] {5, 3}, 2), manager, STREAMS.stream("init"))) {
      double[] scores = new Fpgm().scores(new ScoringContext(ProbeObjective.of(model, 1, null, null), 1, 0, 0, 1));
      float[] w0 = model.parameters().get("w0").toFloatArray(); // [4, 5]: neuron j's incoming weights are column j
      float[][] columns = new float[5][4];
      for (int e = 0; e < w0.length; e++) {
        columns[e % 5][e / 5] = w0[e];
      }
      double[] expected = distanceSums(columns);
      for (int j = 0; j < 5; j++) {
        assertThat(scores[j]).as("layer0/neuron%d", j).isCloseTo(expected[j], within(1e-9 * expected[j]));
      }
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
