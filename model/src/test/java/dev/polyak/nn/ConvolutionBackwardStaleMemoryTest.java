package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine's 3×3 convolution backward on an avx512 CPU (oneDNN's backward_data, which pads
 * channel counts to a block of 16 itself) returns a wrong input gradient for 4 or 8 channels and a
 * batch above one: finite but off, or NaN when the padding's memory held NaN from an earlier
 * allocation. That was behind EveryPruningMethodTest's sporadic "dense-vgg16 DIVERGED at step 1"
 * and "conv0/filter0 has a NaN score" (step 0: finite loss, NaN gradients in the first three
 * convolutions only). {@link AbstractConvNet#convolution3x3} pads the channels with zeros to the
 * block; the output and both gradients must then match the closed forms of L = Σ conv(x, W) · r:
 * dL/dx[b,i,h,w] = Σ_o,kh,kw r[b,o,h+1-kh,w+1-kw] W[o,i,kh,kw] and dL/dW[o,i,kh,kw] = Σ_b,h,w
 * r[b,o,h,w] x[b,i,h+kh-1,w+kw-1]. The 16-channel and batch-1 cases (no padding; batch 1 takes the
 * engine's own kernel) were right before the fix as well.
 */
class ConvolutionBackwardStaleMemoryTest {
  @ParameterizedTest(name = "{0} channels, {1}x{1}, batch {2}")
  @CsvSource({"4, 32, 8", "8, 16, 8", "8, 16, 4", "16, 8, 8", "8, 16, 1"})
  void gradientsAreTheClosedFormsAfterNanWasFreed(int channels, int size, int batch) {
    Autograd.ensureEngine();
    RandomStream random = new dev.polyak.random.RandomStreams(17L + channels).stream("init");
    float[] x = new float[batch * channels * size * size];
    float[] w = new float[channels * channels * 9];
    float[] r = new float[x.length];
    random.fillGaussian(x, 1f);
    random.fillGaussian(w, 0.3f);
    random.fillGaussian(r, 1f);
    double[] expected = closedForm(w, r, batch, channels, size);
    double[] expectedWeight = closedFormWeight(x, r, batch, channels, size);
    double[] expectedOutput = closedFormOutput(x, w, batch, channels, size);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (int trial = 0; trial < 5; trial++) {
        try (NDManager m = manager.newSubManager()) {
          // Leave NaN in freed memory of many sizes, where the next allocations come from.
          for (int k = 0; k < 40; k++) {
            m.full(new Shape(1 + k * 997L + trial * 131L), Float.NaN, DataType.FLOAT32).close();
          }
          NDArray input = m.create(x, new Shape(batch, channels, size, size));
          NDArray weight = m.create(w, new Shape(channels, channels, 3, 3));
          NDArray outputWeights = m.create(r, new Shape(batch, channels, size, size));
          input.setRequiresGradient(true);
          weight.setRequiresGradient(true);
          try (Autograd.Mode on = Autograd.recording(true)) {
            NDArray y = AbstractConvNet.convolution3x3(input, weight, null, 1);
            float[] output = y.toFloatArray();
            for (int i = 0; i < output.length; i++) {
              assertThat((double) output[i])
                  .as("trial %d, output %d", trial, i)
                  .isCloseTo(expectedOutput[i], within(1e-3));
            }
            Autograd.backward(y.mul(outputWeights).sum());
          }
          float[] actual = input.getGradient().toFloatArray();
          for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i])
                .as("trial %d, element %d", trial, i)
                .isCloseTo(expected[i], within(1e-3));
          }
          float[] actualWeight = weight.getGradient().toFloatArray();
          for (int i = 0; i < actualWeight.length; i++) {
            assertThat((double) actualWeight[i])
                .as("trial %d, weight %d", trial, i)
                .isCloseTo(expectedWeight[i], within(1e-5 * batch * size * size));
          }
        }
      }
    }
  }

  /**
   * Without a gradient (evaluation, scoring passes), more than 16 input channels that are not a
   * multiple of 16 and a batch above one: on an AMD Zen 5 CPU the engine's forward pass put outputs
   * off by up to 8 (for values of order 10) before the input channels were padded too.
   */
  @ParameterizedTest(name = "{0} channels, {1}x{1}, batch {2}")
  @CsvSource({"17, 16, 4", "24, 16, 4", "24, 8, 2", "40, 8, 4", "3, 16, 4", "12, 16, 4"})
  void theOutputWithoutGradientIsTheClosedForm(int channels, int size, int batch) {
    Autograd.ensureEngine();
    RandomStream random = new dev.polyak.random.RandomStreams(29L + channels).stream("init");
    float[] x = new float[batch * channels * size * size];
    float[] w = new float[channels * channels * 9];
    random.fillGaussian(x, 1f);
    random.fillGaussian(w, 0.3f);
    double[] expected = closedFormOutput(x, w, batch, channels, size);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray input = m.create(x, new Shape(batch, channels, size, size));
      NDArray weight = m.create(w, new Shape(channels, channels, 3, 3));
      float[] output = AbstractConvNet.convolution3x3(input, weight, null, 1).toFloatArray();
      for (int i = 0; i < output.length; i++) {
        assertThat((double) output[i]).as("output %d", i).isCloseTo(expected[i], within(1e-3));
      }
    }
  }

  /** y[b,o,h,w] = Σ_i,kh,kw x[b,i,h+kh-1,w+kw-1] W[o,i,kh,kw]. */
  private static double[] closedFormOutput(
      float[] x, float[] w, int batch, int channels, int size) {
    double[] y = new double[batch * channels * size * size];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < channels; o++) {
        for (int h = 0; h < size; h++) {
          for (int v = 0; v < size; v++) {
            double sum = 0;
            for (int i = 0; i < channels; i++) {
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  int ih = h + kh - 1;
                  int iw = v + kw - 1;
                  if (ih >= 0 && ih < size && iw >= 0 && iw < size) {
                    sum +=
                        x[((b * channels + i) * size + ih) * size + iw]
                            * w[((o * channels + i) * 3 + kh) * 3 + kw];
                  }
                }
              }
            }
            y[((b * channels + o) * size + h) * size + v] = sum;
          }
        }
      }
    }
    return y;
  }

  /** dL/dW[o,i,kh,kw] = Σ_b,h,w r[b,o,h,w] x[b,i,h+kh-1,w+kw-1]. */
  private static double[] closedFormWeight(
      float[] x, float[] r, int batch, int channels, int size) {
    double[] grad = new double[channels * channels * 9];
    for (int o = 0; o < channels; o++) {
      for (int i = 0; i < channels; i++) {
        for (int kh = 0; kh < 3; kh++) {
          for (int kw = 0; kw < 3; kw++) {
            double sum = 0;
            for (int b = 0; b < batch; b++) {
              for (int h = 0; h < size; h++) {
                for (int v = 0; v < size; v++) {
                  int ih = h + kh - 1;
                  int iw = v + kw - 1;
                  if (ih >= 0 && ih < size && iw >= 0 && iw < size) {
                    sum +=
                        r[((b * channels + o) * size + h) * size + v]
                            * x[((b * channels + i) * size + ih) * size + iw];
                  }
                }
              }
            }
            grad[((o * channels + i) * 3 + kh) * 3 + kw] = sum;
          }
        }
      }
    }
    return grad;
  }

  private static double[] closedForm(float[] w, float[] r, int batch, int channels, int size) {
    double[] grad = new double[batch * channels * size * size];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < channels; i++) {
        for (int h = 0; h < size; h++) {
          for (int v = 0; v < size; v++) {
            double sum = 0;
            for (int o = 0; o < channels; o++) {
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  int oh = h + 1 - kh;
                  int ow = v + 1 - kw;
                  if (oh >= 0 && oh < size && ow >= 0 && ow < size) {
                    sum +=
                        r[((b * channels + o) * size + oh) * size + ow]
                            * w[((o * channels + i) * 3 + kh) * 3 + kw];
                  }
                }
              }
            }
            grad[((b * channels + i) * size + h) * size + v] = sum;
          }
        }
      }
    }
    return grad;
  }
}
