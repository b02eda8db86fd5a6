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
import java.util.function.IntToLongFunction;

/**
 * A BERT encoder for masked language modelling with textbook post-LayerNorm blocks ({@code x = LN(x
 * + Attention(x)); x = LN(x + FFN(x))}, GELU), learned positions and an MLM head (dense, GELU, LN,
 * decoder tied to the token embeddings). Its prunable structures are the attention heads: head
 * {@code h} of layer {@code l} owns columns {@code [h d, (h+1) d)} of the query, key and value
 * weights and biases and rows {@code [h d, (h+1) d)} of the output projection ({@code d = hidden /
 * heads}); a masked head's context is multiplied by zero before the output projection, and once the
 * model is compacted ({@link Compaction}) a pruned head's slices are gone from the tensors. Weights
 * are normal(0, 0.02) as in BERT, biases zero, LayerNorm gains one. No dropout: it would need the
 * engine's global random generator, which all threads share.
 */
public final class Bert extends AbstractMaskedModel implements MlmModel {
  /** Sizes; presets follow the paper's testbeds. */
  public record Config(int vocabSize, int hidden, int layers, int heads, int ffn, int maxLength) {
    public Config {
      if (hidden % heads != 0) {
        throw new IllegalArgumentException(
            "hidden " + hidden + " is not a multiple of heads " + heads);
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

  /**
   * PyTorch's LayerNorm default; BERT's TensorFlow value 1e-12 lets a near-constant row blow up in
   * float32.
   */
  private static final float LN_EPS = 1e-5f;

  private final Config config;

  public Bert(Config config, NDManager manager, RandomStream init) {
    super(manager, headsPerLayer(config));
    this.config = config;
    int h = config.hidden();
    addEmbeddings(parameters, config, init);
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".";
      addAttention(parameters, config, l, init);
      addFeedForward(parameters, config, p + "ffn", init);
      layerNorm(p + "ffn.norm", h);
    }
    addMlmHead(parameters, config, init);

    headStructures(config).forEach(this::addStructure);
  }

  private static int[] headsPerLayer(Config config) {
    int[] sizes = new int[config.layers()];
    java.util.Arrays.fill(sizes, config.heads());
    return sizes;
  }

  private void normal(String name, Shape shape, RandomStream init) {
    normal(parameters, name, shape, init);
  }

  private void layerNorm(String name, int size) {
    layerNorm(parameters, name, size);
  }

  static void normal(Parameters parameters, String name, Shape shape, RandomStream init) {
    parameters.normal(name, shape, 0.02f, init);
  }

  static void layerNorm(Parameters parameters, String name, int size) {
    parameters.constant(name + ".gain", new Shape(size), 1f);
    parameters.constant(name + ".bias", new Shape(size), 0f);
  }

  /**
   * The MLM head: dense, LayerNorm and the decoder bias. The decoder's weight is the token
   * embedding table (tied, as in BERT); only its bias is its own.
   */
  static void addMlmHead(Parameters parameters, Config config, RandomStream init) {
    int h = config.hidden();
    normal(parameters, "mlm.dense.weight", new Shape(h, h), init);
    parameters.constant("mlm.dense.bias", new Shape(h), 0f);
    layerNorm(parameters, "mlm.norm", h);
    parameters.constant("mlm.decoder.bias", new Shape(config.vocabSize()), 0f);
  }

  /** Token and position embeddings and their LayerNorm. */
  static void addEmbeddings(Parameters parameters, Config config, RandomStream init) {
    int h = config.hidden();
    normal(parameters, "embeddings.token", new Shape(config.vocabSize(), h), init);
    normal(parameters, "embeddings.position", new Shape(config.maxLength(), h), init);
    layerNorm(parameters, "embeddings.norm", h);
  }

  /**
   * Layer {@code layer}'s Q, K, V and output projections and the LayerNorm after the attention
   * block.
   */
  static void addAttention(Parameters parameters, Config config, int layer, RandomStream init) {
    int h = config.hidden();
    String p = "layer" + layer + ".";
    for (String name : new String[] {"query", "key", "value", "output"}) {
      normal(parameters, p + "attention." + name + ".weight", new Shape(h, h), init);
      parameters.constant(p + "attention." + name + ".bias", new Shape(h), 0f);
    }
    layerNorm(parameters, p + "attention.norm", h);
  }

  /**
   * A feed-forward network {@code prefix.in} (hidden to ffn) and {@code prefix.out} (ffn to
   * hidden).
   */
  static void addFeedForward(
      Parameters parameters, Config config, String prefix, RandomStream init) {
    int h = config.hidden();
    normal(parameters, prefix + ".in.weight", new Shape(h, config.ffn()), init);
    parameters.constant(prefix + ".in.bias", new Shape(config.ffn()), 0f);
    normal(parameters, prefix + ".out.weight", new Shape(config.ffn(), h), init);
    parameters.constant(prefix + ".out.bias", new Shape(h), 0f);
  }

  /**
   * The attention heads of every layer as structures; layer {@code l}'s heads are mask group {@code
   * l}.
   */
  static List<Structure> headStructures(Config config) {
    List<Structure> structures = new ArrayList<>();
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
        structures.add(
            new Structure("layer" + l + "/head" + head, l, head, Structure.Kind.HEAD, slices));
      }
    }
    return structures;
  }

  public Config config() {
    return config;
  }

  /** Every group is a layer's heads, and every head can be sliced out. */
  @Override
  public boolean compactable(int layer) {
    return true;
  }

  @Override
  public Config encoderConfig() {
    return config;
  }

  /**
   * Hidden states {@code [batch, length, hidden]} for token ids {@code [batch, length]} (int32 or
   * int64).
   */
  @Override
  public NDArray encode(NDArray ids) {
    NDArray x = embed(parameters, config, ids);
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".";
      x =
          attention(
              parameters,
              outputFactor(l, ids.getManager(), 1, presentCount(l), 1, 1),
              config,
              x,
              l);
      NDArray ffn = feedForward(parameters, x, p + "ffn");
      x = norm(x.add(ffn), p + "ffn.norm");
    }
    return x;
  }

  /** Normalised token plus position embeddings {@code [batch, length, hidden]}. */
  static NDArray embed(Parameters parameters, Config config, NDArray ids) {
    long length = ids.getShape().get(1);
    NDArray x =
        Embedding.embedding(ids, parameters.get("embeddings.token"), SparseFormat.DENSE)
            .singletonOrThrow()
            .add(parameters.get("embeddings.position").get(new NDIndex("0:{}", length)));
    return norm(parameters, config, x, "embeddings.norm");
  }

  /**
   * Layer {@code layer}'s attention block with its residual and LayerNorm; head {@code h}'s context
   * multiplied by {@code headFactor} (mask times gate, shaped {@code [1, heads, 1, 1]}; null
   * multiplies by nothing).
   */
  static NDArray attention(
      Parameters parameters, NDArray headFactor, Config config, NDArray x, int layer) {
    long batch = x.getShape().get(0);
    long length = x.getShape().get(1);
    long d = config.headSize();
    String p = "layer" + layer + ".";
    // the heads still in the tensors: fewer than config.heads() once pruned heads are sliced out
    long heads = parameters.get(p + "attention.query.weight").getShape().get(1) / d;
    NDArray q = heads(dense(parameters, x, p + "attention.query"), batch, length, heads, d);
    NDArray k = heads(dense(parameters, x, p + "attention.key"), batch, length, heads, d);
    NDArray v = heads(dense(parameters, x, p + "attention.value"), batch, length, heads, d);
    NDArray attention = Scalars.div(q.matMul(k.transpose(0, 1, 3, 2)), Math.sqrt(d)).softmax(-1);
    NDArray context = attention.matMul(v);
    if (headFactor != null) {
      context = context.mul(headFactor);
    }
    context = context.transpose(0, 2, 1, 3).reshape(batch, length, heads * d);
    return norm(
        parameters,
        config,
        x.add(dense(parameters, context, p + "attention.output")),
        p + "attention.norm");
  }

  /** {@code prefix.out(GELU(prefix.in(x)))}. */
  static NDArray feedForward(Parameters parameters, NDArray x, String prefix) {
    return dense(
        parameters, Activation.gelu(dense(parameters, x, prefix + ".in")), prefix + ".out");
  }

  /**
   * MLM logits {@code [rows, vocab]} for hidden states {@code [rows, hidden]}; the decoder is tied
   * to the token embeddings: {@code logits = LN(GELU(dense(h))) · tokenEmbeddingsᵀ + bias}.
   */
  @Override
  public NDArray mlmLogits(NDArray hidden) {
    return mlmLogits(parameters, config, hidden);
  }

  /** The MLM head shared by every BERT-style encoder (see {@link #mlmLogits(NDArray)}). */
  static NDArray mlmLogits(Parameters parameters, Config config, NDArray hidden) {
    // not dense(): the rows are the batch's masked positions, not one per sample
    // (Parameters.linear)
    NDArray dense =
        hidden.matMul(parameters.get("mlm.dense.weight")).add(parameters.get("mlm.dense.bias"));
    NDArray h = norm(parameters, config, Activation.gelu(dense), "mlm.norm");
    return h.matMul(parameters.get("embeddings.token").transpose())
        .add(parameters.get("mlm.decoder.bias"));
  }

  private NDArray dense(NDArray x, String name) {
    return dense(parameters, x, name);
  }

  private NDArray norm(NDArray x, String name) {
    return norm(parameters, config, x, name);
  }

  /** {@code x · name.weight + name.bias}, seen by the parameters' linear tap; x [batch, ...]. */
  static NDArray dense(Parameters parameters, NDArray x, String name) {
    return parameters.linear(
        name + ".weight",
        name + ".bias",
        x,
        x.matMul(parameters.get(name + ".weight")).add(parameters.get(name + ".bias")));
  }

  static NDArray norm(Parameters parameters, Config config, NDArray x, String name) {
    return LayerNorm.layerNorm(
            x,
            new Shape(config.hidden()),
            parameters.get(name + ".gain"),
            parameters.get(name + ".bias"),
            LN_EPS)
        .singletonOrThrow();
  }

  private static NDArray heads(NDArray x, long batch, long length, long heads, long d) {
    return x.reshape(batch, length, heads, d).transpose(0, 2, 1, 3);
  }

  @Override
  public long flopsPerSample() {
    return encoderFlops(
        config, masks, layer -> 2L * config.maxLength() * config.hidden() * config.ffn() * 2);
  }

  /**
   * Flops of a sample of {@code maxLength} tokens: each layer's attention under its head mask (mask
   * group {@code layer}) plus {@code feedForwardFlops(layer)}, and the MLM head at every position.
   */
  static long encoderFlops(Config config, Masks masks, IntToLongFunction feedForwardFlops) {
    long t = config.maxLength();
    long h = config.hidden();
    long flops = 0;
    for (int l = 0; l < config.layers(); l++) {
      flops += attentionFlops(config, masks.keptCount(l)) + feedForwardFlops.applyAsLong(l);
    }
    flops +=
        2 * t * h * h + 2 * t * h * config.vocabSize(); // MLM head (tied decoder) at every position
    return flops;
  }

  /** Attention flops of one layer with {@code keptHeads} heads over {@code maxLength} positions. */
  private static long attentionFlops(Config config, long keptHeads) {
    long t = config.maxLength();
    long h = config.hidden();
    long d = config.headSize();
    return 2 * t * h * (3 * keptHeads * d) // Q, K, V projections
        + 2 * keptHeads * t * t * d * 2 // scores and context
        + 2 * t * keptHeads * d * h; // output projection
  }
}
