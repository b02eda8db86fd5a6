package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * The CNNs' convolution and batch norm agree with a plain-Java computation: a naive loop over NCHW
 * inputs and OIHW weights with zero padding 1, then the batch-norm formula with biased batch
 * variance (training) or the running statistics (evaluation); the running statistics after one
 * training forward are {@code 0.9 * old + 0.1 * batch} with the unbiased batch variance, as {@code
 * nn.BatchNorm2d}.
 */
class ConvolutionBatchNormReferenceTest {
  private static final int BATCH = 2;
  private static final int IN = 3;
  private static final int OUT = 4;
  private static final int SIZE = 5;
  private static final double EPS = 1e-5;

  /**
   * One 3×3 convolution with bias, batch norm and the filter mask: the building block of both CNNs.
   */
  private static final class OneConvolution extends AbstractConvNet {
    private final int stride;

    OneConvolution(NDManager manager, int stride, RandomStream init) {
      super(manager, OUT);
      this.stride = stride;
      addConvolution("conv", IN, OUT, true, init);
      addBatchNorm("bn", OUT);
    }

    @Override
    public NDArray forward(NDArray input) {
      return maskFilters(batchNorm(convolution(input, "conv", stride), "bn"), 0);
    }

    @Override
    public long keptParameters() {
      throw new UnsupportedOperationException();
    }

    @Override
    public long flopsPerSample() {
      throw new UnsupportedOperationException();
    }
  }

  private static float[] gaussian(RandomStream random, int size) {
    float[] values = new float[size];
    random.fillGaussian(values, 1f);
    return values;
  }

  /**
   * out[n][o][y][x] = bias[o] + sum over i, ky, kx of w[o][i][ky][kx] *
   * in[n][i][y*s+ky-1][x*s+kx-1].
   */
  private static double[][][][] naiveConvolution(float[] in, float[] w, float[] bias, int stride) {
    int outSize = (SIZE + 2 - 3) / stride + 1;
    double[][][][] out = new double[BATCH][OUT][outSize][outSize];
    for (int n = 0; n < BATCH; n++) {
      for (int o = 0; o < OUT; o++) {
        for (int y = 0; y < outSize; y++) {
          for (int x = 0; x < outSize; x++) {
            double sum = bias[o];
            for (int i = 0; i < IN; i++) {
              for (int ky = 0; ky < 3; ky++) {
                for (int kx = 0; kx < 3; kx++) {
                  int iy = y * stride + ky - 1;
                  int ix = x * stride + kx - 1;
                  if (iy >= 0 && iy < SIZE && ix >= 0 && ix < SIZE) {
                    sum +=
                        w[((o * IN + i) * 3 + ky) * 3 + kx]
                            * (double) in[((n * IN + i) * SIZE + iy) * SIZE + ix];
                  }
                }
              }
            }
            out[n][o][y][x] = sum;
          }
        }
      }
    }
    return out;
  }

  /** Per channel {mean, biased variance, unbiased variance} over batch and pixels. */
  private static double[][] channelStatistics(double[][][][] v) {
    double[][] stats = new double[OUT][3];
    for (int o = 0; o < OUT; o++) {
      double sum = 0;
      int count = 0;
      for (double[][][] sample : v) {
        for (double[] row : sample[o]) {
          for (double value : row) {
            sum += value;
            count++;
          }
        }
      }
      double mean = sum / count;
      double squares = 0;
      for (double[][][] sample : v) {
        for (double[] row : sample[o]) {
          for (double value : row) {
            squares += (value - mean) * (value - mean);
          }
        }
      }
      stats[o] = new double[] {mean, squares / count, squares / (count - 1)};
    }
    return stats;
  }

  /** gamma * (v - mean) / sqrt(var + eps) + beta, flattened NCHW. */
  private static float[] normalise(
      double[][][][] v, double[] mean, double[] variance, float[] gamma, float[] beta) {
    int outSize = v[0][0].length;
    float[] out = new float[BATCH * OUT * outSize * outSize];
    int k = 0;
    for (int n = 0; n < BATCH; n++) {
      for (int o = 0; o < OUT; o++) {
        for (int y = 0; y < outSize; y++) {
          for (int x = 0; x < outSize; x++) {
            out[k++] =
                (float)
                    (gamma[o] * (v[n][o][y][x] - mean[o]) / Math.sqrt(variance[o] + EPS) + beta[o]);
          }
        }
      }
    }
    return out;
  }

  private static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-5f));
    }
  }

  private static void agreesWithNaiveComputation(int stride) {
    Autograd.ensureEngine();
    RandomStream random = new RandomStreams(8).stream("values");
    float[] input = gaussian(random, BATCH * IN * SIZE * SIZE);
    float[] weight = gaussian(random, OUT * IN * 9);
    float[] bias = gaussian(random, OUT);
    float[] gamma = gaussian(random, OUT);
    float[] beta = gaussian(random, OUT);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        OneConvolution layer =
            new OneConvolution(manager, stride, new RandomStreams(1).stream(RandomStreams.INIT))) {
      Parameters p = layer.parameters();
      try (Autograd.Mode off = Autograd.recording(false)) {
        p.get("conv.weight").set(weight);
        p.get("conv.bias").set(bias);
        p.get("bn.weight").set(gamma);
        p.get("bn.bias").set(beta);
      }
      NDArray x = manager.create(input, new Shape(BATCH, IN, SIZE, SIZE));
      double[][][][] convolved = naiveConvolution(input, weight, bias, stride);
      double[][] stats = channelStatistics(convolved);
      double[] mean = new double[OUT];
      double[] biased = new double[OUT];
      double[] runningMean = new double[OUT];
      double[] runningVariance = new double[OUT];
      for (int o = 0; o < OUT; o++) {
        mean[o] = stats[o][0];
        biased[o] = stats[o][1];
        runningMean[o] = 0.9 * 0 + 0.1 * stats[o][0];
        runningVariance[o] = 0.9 * 1 + 0.1 * stats[o][2];
      }

      layer.trainingStep(0);
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray y = layer.forward(x);
        assertClose(y.toFloatArray(), normalise(convolved, mean, biased, gamma, beta));
        Autograd.backward(y.square().sum());
      }
      NDArray storedMean = p.buffers().get("bn.running_mean");
      NDArray storedVariance = p.buffers().get("bn.running_var");
      // Updated once by the forward, in place, and not part of the autograd graph.
      assertThat(storedMean.hasGradient()).isFalse();
      assertThat(storedVariance.hasGradient()).isFalse();
      for (int o = 0; o < OUT; o++) {
        assertThat(storedMean.toFloatArray()[o]).isCloseTo((float) runningMean[o], within(1e-6f));
        assertThat(storedVariance.toFloatArray()[o])
            .isCloseTo((float) runningVariance[o], within(1e-5f));
      }

      layer.evaluation();
      try (Autograd.Mode off = Autograd.recording(false)) {
        assertClose(
            layer.forward(x).toFloatArray(),
            normalise(convolved, runningMean, runningVariance, gamma, beta));
        // Evaluation leaves the running statistics alone.
        assertThat(storedMean.toFloatArray()[0]).isCloseTo((float) runningMean[0], within(1e-6f));
      }
    }
  }

  @Test
  void strideOneAgreesWithNaiveComputation() {
    agreesWithNaiveComputation(1);
  }

  @Test
  void strideTwoAgreesWithNaiveComputation() {
    agreesWithNaiveComputation(2);
  }
}
