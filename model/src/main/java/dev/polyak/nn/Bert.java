package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import dev.polyak.random.RandomStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A BERT encoder for masked language modelling with textbook post-LayerNorm blocks ({@code x =
 * LN(x + Attention(x)); x = LN(x + FFN(x))}, GELU), learned positions and an MLM head (dense, GELU,
 * LN, decoder tied to the token embeddings). Its prunable structures are the attention heads: head {@code h} of layer {@code l}
 * owns columns {@code [h d, (h+1) d)} of the query, key and value weights and biases and rows
 * {@code [h d, (h+1) d)} of the output projection ({@code d = hidden / heads}); a masked head's
 * context is multiplied by zero before the output projection. Weights are normal(0, 0.02) as in
 * BERT, biases zero, LayerNorm gains one. No dropout: it would need the engine's global random
 * generator, which all threads share.
 */
public final class Bert extends AbstractMaskedModel {
  /** Sizes; presets follow the paper's testbeds. */
  public record Config(int vocabSize, int hidden, int layers, int heads, int ffn, int maxLength) {
    public Config {
      if (hidden % heads != 0) {
        throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads);
      }
    }

    public static Config tiny(int vocabSize) {
      return new Config(vocabSize, 128, 2, 2, 512, 128);
    }

    public static Config small(int vocabSize) {
      return new Config(vocabSize, 256, 4, 4, 1024, 128);
    }

    public static Config base(int vocabSize) {
      return new Config(vocabSize, 768, 12, 12, 3072, 512);
    }

    int headSize() {
      return hidden / heads;
    }
  }

  /** PyTorch's LayerNorm default; BERT's TensorFlow value 1e-12 lets a near-constant row blow up in float32. */
  private static final float LN_EPS = 1e-5f;
  private final Config config;

  public Bert(Config config, NDManager manager, RandomStream init) {
    super(manager, headsPerLayer(config));
    this.config = config;
    int h = config.hidden();
    normal("embeddings.token", new Shape(config.vocabSize(), h), init);
    normal("embeddings.position", new Shape(config.maxLength(), h), init);
    layerNorm("embeddings.norm", h);
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".";
      for (String name : new String[] {"query", "key", "value", "output"}) {
        normal(p + "attention." + name + ".weight", new Shape(h, h), init);
        parameters.constant(p + "attention." + name + ".bias", new Shape(h), 0f);
      }
      layerNorm(p + "attention.norm", h);
      normal(p + "ffn.in.weight", new Shape(h, config.ffn()), init);
      parameters.constant(p + "ffn.in.bias", new Shape(config.ffn()), 0f);
      normal(p + "ffn.out.weight", new Shape(config.ffn(), h), init);
      parameters.constant(p + "ffn.out.bias", new Shape(h), 0f);
      layerNorm(p + "ffn.norm", h);
    }
    normal("mlm.dense.weight", new Shape(h, h), init);
    parameters.constant("mlm.dense.bias", new Shape(h), 0f);
    layerNorm("mlm.norm", h);
    // The decoder's weight is the token embedding table (tied, as in BERT); only its bias is its own.
    parameters.constant("mlm.decoder.bias", new Shape(config.vocabSize()), 0f);

    long d = config.headSize();
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".attention.";
      for (int head = 0; head < config.heads(); head++) {
        long from = head * d;
        long to = from + d;
        List<Structure.Slice> slices = new ArrayList<>();
        for (String name : new String[] {"query", "key", "value"}) {
          slices.add(new Structure.Slice(p + name + ".weight", 1, from, to));
          slices.add(new Structure.Slice(p + name + ".bias", 0, from, to));
        }
        slices.add(new Structure.Slice(p + "output.weight", 0, from, to));
        addStructure(new Structure("layer" + l + "/head" + head, l, head, Structure.Kind.HEAD, slices));
      }
    }
  }

  private static int[] headsPerLayer(Config config) {
    int[] sizes = new int[config.layers()];
    java.util.Arrays.fill(sizes, config.heads());
    return sizes;
  }

  private void normal(String name, Shape shape, RandomStream init) {
    parameters.normal(name, shape, 0.02f, init);
  }

  private void layerNorm(String name, int size) {
    parameters.constant(name + ".gain", new Shape(size), 1f);
    parameters.constant(name + ".bias", new Shape(size), 0f);
  }

  public Config config() {
    return config;
  }

  /** Hidden states {@code [batch, length, hidden]} for token ids {@code [batch, length]} (int32 or int64). */
  public NDArray encode(NDArray ids) {
    long batch = ids.getShape().get(0);
    long length = ids.getShape().get(1);
    NDArray x = Embedding.embedding(ids, parameters.get("embeddings.token"), SparseFormat.DENSE).singletonOrThrow()
        .add(parameters.get("embeddings.position").get(new NDIndex("0:{}", length)));
    x = norm(x, "embeddings.norm");
    long heads = config.heads();
    long d = config.headSize();
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".";
      NDArray q = heads(dense(x, p + "attention.query"), batch, length, heads, d);
      NDArray k = heads(dense(x, p + "attention.key"), batch, length, heads, d);
      NDArray v = heads(dense(x, p + "attention.value"), batch, length, heads, d);
      NDArray attention = q.matMul(k.transpose(0, 1, 3, 2)).div((float) Math.sqrt(d)).softmax(-1);
      NDArray context = attention.matMul(v);
      if (!masks.allKept(l)) {
        try (NDArray mask = ids.getManager().create(masks.layer(l)).reshape(1, heads, 1, 1)) {
          context = context.mul(mask);
        }
      }
      context = context.transpose(0, 2, 1, 3).reshape(batch, length, config.hidden());
      x = norm(x.add(dense(context, p + "attention.output")), p + "attention.norm");
      NDArray ffn = dense(Activation.gelu(dense(x, p + "ffn.in")), p + "ffn.out");
      x = norm(x.add(ffn), p + "ffn.norm");
    }
    return x;
  }

  /**
   * MLM logits {@code [rows, vocab]} for hidden states {@code [rows, hidden]}; the decoder is tied to
   * the token embeddings: {@code logits = LN(GELU(dense(h))) · tokenEmbeddingsᵀ + bias}.
   */
  public NDArray mlmLogits(NDArray hidden) {
    NDArray h = norm(Activation.gelu(dense(hidden, "mlm.dense")), "mlm.norm");
    return h.matMul(parameters.get("embeddings.token").transpose()).add(parameters.get("mlm.decoder.bias"));
  }

  /** Logits {@code [batch, length, vocab]} at every position. */
  @Override
  public NDArray forward(NDArray ids) {
    return mlmLogits(encode(ids));
  }

  private NDArray dense(NDArray x, String name) {
    return x.matMul(parameters.get(name + ".weight")).add(parameters.get(name + ".bias"));
  }

  private NDArray norm(NDArray x, String name) {
    return LayerNorm.layerNorm(x, new Shape(config.hidden()), parameters.get(name + ".gain"),
        parameters.get(name + ".bias"), LN_EPS).singletonOrThrow();
  }

  private static NDArray heads(NDArray x, long batch, long length, long heads, long d) {
    return x.reshape(batch, length, heads, d).transpose(0, 2, 1, 3);
  }

  @Override
  public long keptParameters() {
    long h = config.hidden();
    long d = config.headSize();
    long kept = parameters.count();
    for (int l = 0; l < config.layers(); l++) {
      long removed = config.heads() - masks.keptCount(l);
      // Each removed head takes d columns (+ d biases) of Q, K, V and d rows of the output projection.
      kept -= removed * (3 * (h * d + d) + d * h);
    }
    return kept;
  }

  @Override
  public long flopsPerSample() {
    long t = config.maxLength();
    long h = config.hidden();
    long d = config.headSize();
    long flops = 0;
    for (int l = 0; l < config.layers(); l++) {
      long keptHeads = masks.keptCount(l);
      flops += 2 * t * h * (3 * keptHeads * d); // Q, K, V projections
      flops += 2 * keptHeads * t * t * d * 2; // scores and context
      flops += 2 * t * keptHeads * d * h; // output projection
      flops += 2 * t * h * config.ffn() * 2; // feed-forward
    }
    flops += 2 * t * h * h + 2 * t * h * config.vocabSize(); // MLM head (tied decoder) at every position
    return flops;
  }
}
