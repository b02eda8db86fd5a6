package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import java.util.Arrays;
import java.util.List;

/**
 * A Switch Transformer encoder for masked language modelling (Fedus, Zoph and Shazeer 2021), the
 * paper's second testbed: the {@link Bert} encoder with every layer's feed-forward network replaced
 * by a mixture of experts with top-1 routing and a capacity per expert; {@link #encodeForTraining}
 * also returns the load-balancing loss for the trainer to add. Routing is decided on the host, so
 * it is the same on every run, thread and device. The prunable structures are each layer's heads
 * and experts; a masked expert is removed, not silenced: the model computes exactly what a model
 * built without it would.
 *
 * <p>Routing, capacity, dispatch and masking: docs/design/models.md (Switch).
 */
public final class Switch extends AbstractMaskedModel implements MlmModel {
  /** An entry of {@link Routing#experts()} for a token dropped by the capacity limit. */
  public static final int DROPPED = -1;

  /**
   * Sizes and routing.
   *
   * @param vocabSize tokens of the vocabulary
   * @param hidden model width
   * @param layers encoder layers, each attention plus a mixture of experts
   * @param heads attention heads per layer
   * @param ffn inner width of each expert
   * @param maxLength longest sequence (learned positions)
   * @param experts experts per layer; 4 in the paper's WikiText-103 testbed
   * @param capacityFactor expert capacity relative to an even split; 1.5 in the paper's testbed
   * @param auxiliaryLossCoefficient weight of the load-balancing loss; 0.01, the paper's value
   */
  public record Config(
      int vocabSize,
      int hidden,
      int layers,
      int heads,
      int ffn,
      int maxLength,
      int experts,
      double capacityFactor,
      double auxiliaryLossCoefficient) {
    /** The paper's testbed: 4 experts. */
    public static final int DEFAULT_EXPERTS = 4;

    /** The paper's testbed: capacity factor 1.5. */
    public static final double DEFAULT_CAPACITY_FACTOR = 1.5;

    /**
     * Fedus et al.'s load-balancing weight, large enough to balance, small enough not to override
     * the MLM loss.
     */
    public static final double DEFAULT_AUXILIARY_LOSS_COEFFICIENT = 0.01;

    public Config {
      if (experts < 1) {
        throw new IllegalArgumentException("experts must be at least 1, got " + experts);
      }
      if (!(capacityFactor > 0)) {
        throw new IllegalArgumentException(
            "capacityFactor must be positive, got " + capacityFactor);
      }
      if (!(auxiliaryLossCoefficient >= 0)) {
        throw new IllegalArgumentException(
            "auxiliaryLossCoefficient must be non-negative, got " + auxiliaryLossCoefficient);
      }
      encoder(vocabSize, hidden, layers, heads, ffn, maxLength);
    }

    /** {@code bert} with each FFN made {@code experts} experts of the same size. */
    public static Config of(
        Bert.Config bert, int experts, double capacityFactor, double auxiliaryLossCoefficient) {
      return new Config(
          bert.vocabSize(),
          bert.hidden(),
          bert.layers(),
          bert.heads(),
          bert.ffn(),
          bert.maxLength(),
          experts,
          capacityFactor,
          auxiliaryLossCoefficient);
    }

    /** {@code switch-tiny}: {@link Bert.Config#tiny} sizes, default routing. */
    public static Config tiny(int vocabSize) {
      return withDefaults(Bert.Config.tiny(vocabSize));
    }

    /** {@code switch-small}: {@link Bert.Config#small} sizes, default routing. */
    public static Config small(int vocabSize) {
      return withDefaults(Bert.Config.small(vocabSize));
    }

    /** {@code switch-base}: {@link Bert.Config#base} sizes, default routing. */
    public static Config base(int vocabSize) {
      return withDefaults(Bert.Config.base(vocabSize));
    }

    /** A preset by name: {@code switch-tiny}, {@code switch-small} or {@code switch-base}. */
    public static Config preset(String name, int vocabSize) {
      return switch (name) {
        case "switch-tiny" -> tiny(vocabSize);
        case "switch-small" -> small(vocabSize);
        case "switch-base" -> base(vocabSize);
        default ->
            throw new IllegalArgumentException(
                "unknown Switch preset " + name + "; have switch-tiny, switch-small, switch-base");
      };
    }

    private static Config withDefaults(Bert.Config bert) {
      return of(bert, DEFAULT_EXPERTS, DEFAULT_CAPACITY_FACTOR, DEFAULT_AUXILIARY_LOSS_COEFFICIENT);
    }

    /** The encoder's sizes as a BERT config (attention, embeddings, MLM head). */
    public Bert.Config encoder() {
      return encoder(vocabSize, hidden, layers, heads, ffn, maxLength);
    }

    private static Bert.Config encoder(
        int vocabSize, int hidden, int layers, int heads, int ffn, int maxLength) {
      return new Bert.Config(vocabSize, hidden, layers, heads, ffn, maxLength);
    }
  }

  /**
   * One layer's mixture-of-experts output.
   *
   * @param output {@code [tokens, hidden]}, zero for dropped tokens
   * @param loadBalancingLoss the unweighted scalar {@code keptExperts * sum_e f_e P_e}
   * @param experts the expert of each token, or {@link #DROPPED}
   */
  record Routing(NDArray output, NDArray loadBalancingLoss, int[] experts) {}

  private final Config config;
  private final Bert.Config encoder;

  public Switch(Config config, NDManager manager, RandomStream init) {
    super(manager, groupSizes(config));
    this.config = config;
    this.encoder = config.encoder();
    int h = config.hidden();
    Bert.addEmbeddings(parameters, encoder, init);
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".ffn.";
      Bert.addAttention(parameters, encoder, l, init);
      Bert.normal(parameters, p + "router.weight", new Shape(h, config.experts()), init);
      for (int e = 0; e < config.experts(); e++) {
        Bert.addFeedForward(parameters, encoder, p + "expert" + e, init);
      }
      Bert.layerNorm(parameters, p + "norm", h);
    }
    Bert.addMlmHead(parameters, encoder, init);

    Bert.headStructures(encoder).forEach(this::addStructure);
    for (int l = 0; l < config.layers(); l++) {
      String p = "layer" + l + ".ffn.";
      for (int e = 0; e < config.experts(); e++) {
        String expert = p + "expert" + e;
        List<Structure.Slice> slices =
            List.of(
                new Structure.Slice(expert + ".in.weight", 0, 0, h),
                new Structure.Slice(expert + ".in.bias", 0, 0, config.ffn()),
                new Structure.Slice(expert + ".out.weight", 0, 0, config.ffn()),
                new Structure.Slice(expert + ".out.bias", 0, 0, h),
                new Structure.Slice(p + "router.weight", 1, e, e + 1));
        addStructure(
            new Structure(
                "layer" + l + "/expert" + e, expertGroup(l), e, Structure.Kind.EXPERT, slices));
      }
    }
  }

  /** Heads of every layer, then experts of every layer. */
  private static int[] groupSizes(Config config) {
    int[] sizes = new int[2 * config.layers()];
    Arrays.fill(sizes, 0, config.layers(), config.heads());
    Arrays.fill(sizes, config.layers(), sizes.length, config.experts());
    return sizes;
  }

  /** The mask group of layer {@code layer}'s experts. */
  public int expertGroup(int layer) {
    return config.layers() + layer;
  }

  public Config config() {
    return config;
  }

  /**
   * Every group can be sliced out of the tensors: a head's columns of Q, K, V and rows of the
   * output projection; an expert's whole FFN (its tensors become empty, {@code [0, ...]}, and stay
   * in the parameters under their names, so that checkpoints and optimizer state keep one entry per
   * parameter) and its router column.
   */
  @Override
  public boolean compactable(int layer) {
    return true;
  }

  @Override
  public Bert.Config encoderConfig() {
    return encoder;
  }

  @Override
  public NDArray encode(NDArray ids) {
    return encodeForTraining(ids).hidden();
  }

  /**
   * Hidden states and {@code auxiliaryLossCoefficient} times the load-balancing losses of all
   * layers.
   */
  @Override
  public Encoding encodeForTraining(NDArray ids) {
    long batch = ids.getShape().get(0);
    long length = ids.getShape().get(1);
    NDArray x = Bert.embed(parameters, encoder, ids);
    NDArray balance = x.getManager().zeros(new Shape());
    for (int l = 0; l < config.layers(); l++) {
      x =
          Bert.attention(
              parameters,
              outputFactor(l, ids.getManager(), 1, presentCount(l), 1, 1),
              encoder,
              x,
              l);
      Routing routing = route(x.reshape(batch * length, config.hidden()), l);
      x =
          Bert.norm(
              parameters,
              encoder,
              x.add(routing.output().reshape(batch, length, config.hidden())),
              "layer" + l + ".ffn.norm");
      balance = balance.add(routing.loadBalancingLoss());
    }
    return new Encoding(x, Scalars.mul(balance, config.auxiliaryLossCoefficient()));
  }

  /**
   * Layer {@code layer}'s mixture of experts on tokens {@code [tokens, hidden]}. Routing works on
   * the experts still in the tensors (all of them unless the model is compacted, {@link
   * Compaction}): the router has one column per such expert, and a masked one among them gets a
   * {@code -inf} logit. A compacted expert is gone from the router and from the softmax; a masked
   * one's probability is exactly zero, so both give the same probabilities, choices, capacity and
   * load-balancing loss. {@link Routing#experts()} holds the experts' original indices.
   */
  Routing route(NDArray x, int layer) {
    NDManager manager = x.getManager();
    int tokens = Math.toIntExact(x.getShape().get(0));
    int group = expertGroup(layer);
    int kept = masks.keptCount(group);
    if (kept == 0) {
      int[] none = new int[tokens];
      Arrays.fill(none, DROPPED);
      return new Routing(x.zerosLike(), manager.zeros(new Shape()), none);
    }
    // Positions 0..experts-1 over the experts in the tensors; present[e] is position e's index.
    int[] present = compaction().presentIndices(group);
    int experts = present.length;
    boolean[] keptExperts = new boolean[experts];
    for (int e = 0; e < experts; e++) {
      keptExperts[e] = masks.kept(group, present[e]);
    }
    String p = "layer" + layer + ".ffn.";
    NDArray logits = x.matMul(parameters.get(p + "router.weight"));
    if (kept < experts) {
      float[] exclude = new float[experts];
      for (int e = 0; e < experts; e++) {
        exclude[e] = keptExperts[e] ? 0f : Float.NEGATIVE_INFINITY;
      }
      logits = logits.add(manager.create(exclude));
    }
    NDArray probabilities = logits.softmax(-1);
    int[] choice = argmax(logits.toFloatArray(), experts, keptExperts);
    int[] assigned =
        withinCapacity(choice, experts, capacity(config.capacityFactor(), tokens, kept));

    float[] fractions = new float[experts];
    for (int e : choice) {
      fractions[e] += 1f / tokens;
    }
    NDArray loadBalancing =
        Scalars.mul(probabilities.mean(new int[] {0}).mul(manager.create(fractions)).sum(), kept);

    // Dispatch: each expert's tokens in token order; the concatenation's row r is token order[r].
    int[] order = new int[tokens];
    int routed = 0;
    NDList outputs = new NDList();
    for (int e = 0; e < experts; e++) {
      int from = routed;
      for (int t = 0; t < tokens; t++) {
        if (assigned[t] == e) {
          order[routed++] = t;
        }
      }
      if (routed > from) {
        long[] rows = new long[routed - from];
        for (int r = from; r < routed; r++) {
          rows[r - from] = order[r];
        }
        NDArray input = x.get(new NDIndex("{}", manager.create(rows)));
        outputs.add(Bert.feedForward(parameters, input, p + "expert" + present[e]));
      }
    }
    long[] gates = new long[routed];
    long[] combine = new long[tokens];
    Arrays.fill(combine, routed);
    for (int r = 0; r < routed; r++) {
      gates[r] = (long) order[r] * experts + assigned[order[r]];
      combine[order[r]] = r;
    }
    NDArray gate =
        probabilities.reshape(-1).get(new NDIndex("{}", manager.create(gates))).reshape(routed, 1);
    if (hasGate(group) && routed > 0) {
      // A soft gate on the experts multiplies each routed row by its expert's entry (masked experts
      // receive no tokens, so the mask needs no multiply of its own); the factor has one entry per
      // expert in the tensors.
      NDArray soft = outputFactor(group, manager, experts);
      long[] expertOfRow = new long[routed];
      for (int r = 0; r < routed; r++) {
        expertOfRow[r] = assigned[order[r]];
      }
      gate = gate.mul(soft.get(new NDIndex("{}", manager.create(expertOfRow))).reshape(routed, 1));
    }
    // Combine: row `routed` is zero, for the dropped tokens.
    NDArray gated =
        NDArrays.concat(outputs, 0)
            .mul(gate)
            .concat(manager.zeros(new Shape(1, config.hidden())), 0);
    NDArray output = gated.get(new NDIndex("{}", manager.create(combine)));
    int[] original = new int[tokens];
    for (int t = 0; t < tokens; t++) {
      original[t] = assigned[t] == DROPPED ? DROPPED : present[assigned[t]];
    }
    return new Routing(output, loadBalancing, original);
  }

  /** Each token's expert: the kept expert with the largest logit, the lower index on a tie. */
  static int[] argmax(float[] logits, int experts, boolean[] kept) {
    int[] choice = new int[logits.length / experts];
    for (int t = 0; t < choice.length; t++) {
      int best = -1;
      for (int e = 0; e < experts; e++) {
        if (kept[e] && (best < 0 || logits[t * experts + e] > logits[t * experts + best])) {
          best = e;
        }
      }
      choice[t] = best;
    }
    return choice;
  }

  /**
   * The choices with every token past its expert's first {@code capacity} (in token order) set to
   * {@link #DROPPED}.
   */
  static int[] withinCapacity(int[] choice, int experts, int capacity) {
    int[] load = new int[experts];
    int[] assigned = new int[choice.length];
    for (int t = 0; t < choice.length; t++) {
      assigned[t] = load[choice[t]]++ < capacity ? choice[t] : DROPPED;
    }
    return assigned;
  }

  /** {@code ceil(capacityFactor * tokens / experts)}, ignoring a rounding error below 1e-9. */
  static int capacity(double capacityFactor, int tokens, int experts) {
    return (int) Math.ceil(capacityFactor * tokens / experts - 1e-9);
  }

  @Override
  public NDArray mlmLogits(NDArray hidden) {
    return Bert.mlmLogits(parameters, encoder, hidden);
  }

  /**
   * Per sample of {@code maxLength} tokens, every token routed: one expert FFN and the router per
   * token.
   */
  @Override
  public long flopsPerSample() {
    long th = (long) config.maxLength() * config.hidden();
    return Bert.encoderFlops(
        encoder,
        masks,
        layer -> {
          long keptExperts = masks.keptCount(expertGroup(layer));
          // The router's kept columns, then one expert per token.
          return keptExperts == 0 ? 0 : 2 * th * keptExperts + 2 * th * config.ffn() * 2;
        });
  }
}
