package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The DJL/PyTorch BERT forward pass against a second implementation in plain Java doubles, written
 * from the textbook equations (post-LN blocks, exact-erf GELU, scaled dot-product attention).
 */
class BertReferenceTest {
  private static final Bert.Config CONFIG = new Bert.Config(11, 8, 2, 2, 12, 5);

  private Map<String, float[]> w;

  private float[] p(String name) {
    return w.get(name);
  }

  /** x [t][in] times W [in][out] plus b. */
  private static double[][] dense(double[][] x, float[] weight, float[] bias, int out) {
    int in = x[0].length;
    double[][] y = new double[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double s = bias[o];
        for (int i = 0; i < in; i++) {
          s += x[t][i] * weight[i * out + o];
        }
        y[t][o] = s;
      }
    }
    return y;
  }

  private static double[][] layerNorm(double[][] x, float[] gain, float[] bias) {
    double[][] y = new double[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      double mean = 0;
      for (double v : x[t]) {
        mean += v;
      }
      mean /= x[t].length;
      double var = 0;
      for (double v : x[t]) {
        var += (v - mean) * (v - mean);
      }
      var /= x[t].length;
      for (int i = 0; i < x[t].length; i++) {
        y[t][i] = (x[t][i] - mean) / Math.sqrt(var + 1e-5) * gain[i] + bias[i];
      }
    }
    return y;
  }

  /** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
  private static double erf(double x) {
    double sign = Math.signum(x);
    x = Math.abs(x);
    double t = 1 / (1 + 0.3275911 * x);
    double y =
        1
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592)
                * t
                * Math.exp(-x * x);
    return sign * y;
  }

  private static double[][] gelu(double[][] x) {
    double[][] y = new double[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      for (int i = 0; i < x[t].length; i++) {
        y[t][i] = 0.5 * x[t][i] * (1 + erf(x[t][i] / Math.sqrt(2)));
      }
    }
    return y;
  }

  private static double[][] add(double[][] a, double[][] b) {
    double[][] y = new double[a.length][a[0].length];
    for (int t = 0; t < a.length; t++) {
      for (int i = 0; i < a[t].length; i++) {
        y[t][i] = a[t][i] + b[t][i];
      }
    }
    return y;
  }

  private double[][] reference(int[] ids, boolean[][] keptHeads) {
    int h = CONFIG.hidden();
    int d = h / CONFIG.heads();
    int n = ids.length;
    double[][] x = new double[n][h];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < h; i++) {
        x[t][i] = p("embeddings.token")[ids[t] * h + i] + p("embeddings.position")[t * h + i];
      }
    }
    x = layerNorm(x, p("embeddings.norm.gain"), p("embeddings.norm.bias"));
    for (int l = 0; l < CONFIG.layers(); l++) {
      String pre = "layer" + l + ".attention.";
      double[][] q = dense(x, p(pre + "query.weight"), p(pre + "query.bias"), h);
      double[][] k = dense(x, p(pre + "key.weight"), p(pre + "key.bias"), h);
      double[][] v = dense(x, p(pre + "value.weight"), p(pre + "value.bias"), h);
      double[][] context = new double[n][h];
      for (int head = 0; head < CONFIG.heads(); head++) {
        if (!keptHeads[l][head]) {
          continue;
        }
        for (int t = 0; t < n; t++) {
          double[] scores = new double[n];
          double max = Double.NEGATIVE_INFINITY;
          for (int s = 0; s < n; s++) {
            double dot = 0;
            for (int j = 0; j < d; j++) {
              dot += q[t][head * d + j] * k[s][head * d + j];
            }
            scores[s] = dot / Math.sqrt(d);
            max = Math.max(max, scores[s]);
          }
          double sum = 0;
          for (int s = 0; s < n; s++) {
            scores[s] = Math.exp(scores[s] - max);
            sum += scores[s];
          }
          for (int j = 0; j < d; j++) {
            double c = 0;
            for (int s = 0; s < n; s++) {
              c += scores[s] / sum * v[s][head * d + j];
            }
            context[t][head * d + j] = c;
          }
        }
      }
      double[][] attended = dense(context, p(pre + "output.weight"), p(pre + "output.bias"), h);
      x = layerNorm(add(x, attended), p(pre + "norm.gain"), p(pre + "norm.bias"));
      String f = "layer" + l + ".ffn.";
      double[][] inner = gelu(dense(x, p(f + "in.weight"), p(f + "in.bias"), CONFIG.ffn()));
      x =
          layerNorm(
              add(x, dense(inner, p(f + "out.weight"), p(f + "out.bias"), h)),
              p(f + "norm.gain"),
              p(f + "norm.bias"));
    }
    double[][] m =
        layerNorm(
            gelu(dense(x, p("mlm.dense.weight"), p("mlm.dense.bias"), h)),
            p("mlm.norm.gain"),
            p("mlm.norm.bias"));
    // tied decoder: the weight [hidden, vocab] is the token embedding table [vocab, hidden]
    // transposed
    float[] embeddings = p("embeddings.token");
    float[] decoder = new float[embeddings.length];
    for (int v = 0; v < CONFIG.vocabSize(); v++) {
      for (int i = 0; i < h; i++) {
        decoder[i * CONFIG.vocabSize() + v] = embeddings[v * h + i];
      }
    }
    return dense(m, decoder, p("mlm.decoder.bias"), CONFIG.vocabSize());
  }

  @Test
  void logitsMatchThePlainJavaReference() {
    Autograd.ensureEngine();
    int[] ids = {2, 7, 4, 10, 3};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model = new Bert(CONFIG, manager, new RandomStreams(11).stream("init"))) {
      // Larger weights than BERT's 0.02 so that attention is far from uniform.
      try (Autograd.Mode off = Autograd.recording(false)) {
        model
            .parameters()
            .all()
            .forEach(
                (name, array) -> {
                  if (name.endsWith("weight") || name.startsWith("embeddings.")) {
                    array.muli(25f);
                  }
                });
      }
      w = new java.util.HashMap<>();
      model.parameters().all().forEach((name, array) -> w.put(name, array.toFloatArray()));
      for (boolean[][] kept :
          new boolean[][][] {{{true, true}, {true, true}}, {{true, false}, {false, true}}}) {
        for (int l = 0; l < 2; l++) {
          for (int head = 0; head < 2; head++) {
            model.masks().set(l, head, kept[l][head]);
          }
        }
        float[] logits;
        try (Autograd.Mode off = Autograd.recording(false)) {
          logits = model.forward(manager.create(ids, new Shape(1, 5))).toFloatArray();
        }
        double[][] expected = reference(ids, kept);
        for (int t = 0; t < 5; t++) {
          for (int v = 0; v < CONFIG.vocabSize(); v++) {
            assertThat((double) logits[t * CONFIG.vocabSize() + v])
                .as("t %d v %d", t, v)
                .isCloseTo(
                    expected[t][v], Offset.offset(2e-3 * Math.max(1, Math.abs(expected[t][v]))));
          }
        }
      }
    }
  }
}
