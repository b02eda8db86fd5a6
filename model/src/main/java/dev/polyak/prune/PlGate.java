package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.RunFileException;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.HessianTrace;
import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.Spectrum;
import dev.polyak.nn.AdamW;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Parameters;
import dev.polyak.nn.Scalars;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.io.Serializable;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The {@code pl-gate} importance, the paper's Algorithm 2: at each pruning event a small gating
 * network over the structures' NTK features [λ_min, spectral entropy] is trained, with the weights
 * frozen, on the scoring loss plus α times a model of the gated Hessian trace; its softmax
 * probabilities are the scores, of which the caller keeps the top k. The same run seed and event
 * give the same scores. The model is left bitwise as it was found: weights and masks unchanged, no
 * gate set, the parameters' gradients zero.
 *
 * <p>Method (features, gating network, the trace penalty and what it approximates):
 * docs/design/pl-gate.md.
 */
public final class PlGate implements Importance {
  /** How the raw features [λ_min, ρ] are scaled before the gating network sees them. */
  public enum Normalisation {
    /** ln(max(λ_min, δ)), then both features standardised across the structures (the default). */
    LOG_STANDARDISED,
    /** Both features standardised across the structures, λ_min without the log. */
    STANDARDISED,
    /** The raw values. */
    NONE
  }

  /**
   * The gate's hyperparameters, recorded with every pruning event.
   *
   * @param gateWidth hidden width h of the gating network
   * @param gateLearningRate Adam's learning rate for v
   * @param gateBatches Adam steps on v, one gate batch each (cycling through the batches); 0 =
   *     every batch of the gate samples, {@code gateEpochs} times (the paper's)
   * @param alpha weight α of the Hessian-trace penalty; 0 skips the trace estimate
   * @param hutchinsonProbes Rademacher probes of the trace estimate (used when α > 0)
   * @param normalisation feature scaling
   * @param gateSamples training samples v learns on, drawn at each event from the run seed's {@code
   *     pruning-gate} stream; {@link #GATE_SAMPLES_ALL} = the whole training split, {@link
   *     #GATE_SAMPLES_SCORING} = the scoring samples themselves (polyak's cheap setting)
   * @param gateEpochs passes over the gate samples when {@code gateBatches} is 0
   * @param gateReset draw a new v at every event instead of keeping one across the run's events
   * @param traceEvery re-estimate the trace blocks of the gated model every this many gate steps; 0
   *     = once, at s = 1, then scaled by s_i²
   */
  public record Options(
      int gateWidth,
      double gateLearningRate,
      int gateBatches,
      double alpha,
      int hutchinsonProbes,
      Normalisation normalisation,
      int gateSamples,
      int gateEpochs,
      boolean gateReset,
      int traceEvery)
      implements Serializable {
    /**
     * Ample for a map from two features to one logit; the network costs nothing next to the model.
     */
    public static final int DEFAULT_GATE_WIDTH = 16;

    /** Large enough to move the logits by several units within the default batches. */
    public static final double DEFAULT_GATE_LEARNING_RATE = 0.01;

    /** 0: the paper's, every batch of the gate samples for {@code gate_epochs}. */
    public static final int DEFAULT_GATE_BATCHES = 0;

    /** The paper's α = 1 while the gate learns. */
    public static final double DEFAULT_ALPHA = 1.0;

    /** As the diagnostics' trace estimate. */
    public static final int DEFAULT_HUTCHINSON_PROBES =
        DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES;

    /**
     * Enough that every structure's effect shows in the loss, at a cost of a few percent of
     * training (docs/pruning.md measures it); the paper goes over all of S.
     */
    public static final int DEFAULT_GATE_SAMPLES = 1024;

    /** {@code gate_samples: all}: the whole training split. */
    public static final int GATE_SAMPLES_ALL = Integer.MAX_VALUE;

    /** {@code gate_samples: scoring}: the event's scoring samples (polyak before the option). */
    public static final int GATE_SAMPLES_SCORING = 0;

    /** One pass over the gate samples, as Algorithm 2 goes once over S per pruning time. */
    public static final int DEFAULT_GATE_EPOCHS = 1;

    /** The trace blocks at s = 1, scaled by s_i² (docs/differences.md). */
    public static final int DEFAULT_TRACE_EVERY = 0;

    public Options {
      if (gateWidth < 1) {
        throw new RunFileException("gate_width", "gate_width must be >= 1, got " + gateWidth);
      }
      if (!(gateLearningRate > 0) || Double.isInfinite(gateLearningRate)) {
        throw new RunFileException(
            "gate_learning_rate",
            "gate_learning_rate must be positive and finite, got " + gateLearningRate);
      }
      if (gateBatches < 0) {
        throw new RunFileException(
            "gate_batches",
            "gate_batches must be >= 0 (0 = every batch of the gate samples), got " + gateBatches);
      }
      if (!(alpha >= 0) || Double.isInfinite(alpha)) {
        throw new RunFileException("alpha", "alpha must be >= 0 and finite, got " + alpha);
      }
      if (hutchinsonProbes < 1) {
        throw new RunFileException(
            "hutchinson_probes", "hutchinson_probes must be >= 1, got " + hutchinsonProbes);
      }
      if (normalisation == null) {
        throw new RunFileException("normalisation", "normalisation must be set");
      }
      if (gateSamples < 0) {
        throw new RunFileException(
            "gate_samples",
            "gate_samples must be a number >= 1, all or scoring, got " + gateSamples);
      }
      if (gateEpochs < 1) {
        throw new RunFileException("gate_epochs", "gate_epochs must be >= 1, got " + gateEpochs);
      }
      if (traceEvery < 0) {
        throw new RunFileException(
            "trace_every", "trace_every must be >= 0 (0 = frozen at s = 1), got " + traceEvery);
      }
    }

    /** The options before the gate persisted: the new ones at their defaults. */
    public Options(
        int gateWidth,
        double gateLearningRate,
        int gateBatches,
        double alpha,
        int hutchinsonProbes,
        Normalisation normalisation) {
      this(
          gateWidth,
          gateLearningRate,
          gateBatches,
          alpha,
          hutchinsonProbes,
          normalisation,
          DEFAULT_GATE_SAMPLES,
          DEFAULT_GATE_EPOCHS,
          false,
          DEFAULT_TRACE_EVERY);
    }

    public static Options defaults() {
      return new Options(
          DEFAULT_GATE_WIDTH,
          DEFAULT_GATE_LEARNING_RATE,
          DEFAULT_GATE_BATCHES,
          DEFAULT_ALPHA,
          DEFAULT_HUTCHINSON_PROBES,
          Normalisation.LOG_STANDARDISED);
    }

    public Options withAlpha(double a) {
      return new Options(
          gateWidth,
          gateLearningRate,
          gateBatches,
          a,
          hutchinsonProbes,
          normalisation,
          gateSamples,
          gateEpochs,
          gateReset,
          traceEvery);
    }

    public Options withGateBatches(int batches) {
      return new Options(
          gateWidth,
          gateLearningRate,
          batches,
          alpha,
          hutchinsonProbes,
          normalisation,
          gateSamples,
          gateEpochs,
          gateReset,
          traceEvery);
    }

    public Options withGateLearningRate(double rate) {
      return new Options(
          gateWidth,
          rate,
          gateBatches,
          alpha,
          hutchinsonProbes,
          normalisation,
          gateSamples,
          gateEpochs,
          gateReset,
          traceEvery);
    }

    public Options withTraceEvery(int every) {
      return new Options(
          gateWidth,
          gateLearningRate,
          gateBatches,
          alpha,
          hutchinsonProbes,
          normalisation,
          gateSamples,
          gateEpochs,
          gateReset,
          every);
    }

    public Options withGateReset(boolean reset) {
      return new Options(
          gateWidth,
          gateLearningRate,
          gateBatches,
          alpha,
          hutchinsonProbes,
          normalisation,
          gateSamples,
          gateEpochs,
          reset,
          traceEvery);
    }
  }

  /**
   * The gating network's parameters v = (W₁ [2, h], b₁ [h], w₂ [h]), row-major: what persists from
   * one pruning event of a run to the next (and in its checkpoints).
   */
  public record Gate(float[] w1, float[] b1, float[] w2) implements Serializable {
    public Gate {
      if (w1.length != 2 * b1.length || w2.length != b1.length) {
        throw new IllegalArgumentException(
            "a gate needs W1 [2, h], b1 [h] and w2 [h], got "
                + w1.length
                + ", "
                + b1.length
                + " and "
                + w2.length
                + " values");
      }
      w1 = w1.clone();
      b1 = b1.clone();
      w2 = w2.clone();
    }

    public int width() {
      return b1.length;
    }

    /** SHA-256 (hex) of W₁, b₁ and w₂ one after another as little-endian float32. */
    public String sha256() {
      java.nio.ByteBuffer bytes =
          java.nio.ByteBuffer.allocate(4 * (w1.length + b1.length + w2.length))
              .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (float[] part : new float[][] {w1, b1, w2}) {
        for (float f : part) {
          bytes.putFloat(f);
        }
      }
      return java.util.HexFormat.of()
          .formatHex(dev.polyak.io.Digests.sha256().digest(bytes.array()));
    }

    /** A fresh v of width h, drawn from the run seed's "gating" stream at {@code event << 32}. */
    public static Gate drawn(long seed, int event, int width) {
      RandomStream stream = new RandomStreams(seed).stream(RandomStreams.GATING);
      stream.seek((long) event << 32);
      float[] w1 = new float[2 * width];
      stream.fillGaussian(w1, (float) Math.sqrt(0.5));
      float[] w2 = new float[width];
      stream.fillGaussian(w2, (float) (0.1 / Math.sqrt(width)));
      return new Gate(w1, new float[width], w2);
    }
  }

  /**
   * What an event's gate starts from and learns on, beside the scoring context.
   *
   * @param start v from the run's previous event; null draws a new one (the first event, or {@code
   *     gate_reset})
   * @param samples the gate samples' objective; null = the scoring samples
   * @param inScope per structure in model order, whether it enters the softmax, the relaxation and
   *     the penalty (a structure outside keeps a gate of exactly 1 and scores 0); null = all
   */
  public record Setup(Gate start, ProbeObjective samples, boolean[] inScope) {
    /** A new v, the scoring samples, every structure: the gate of one event on its own. */
    public static Setup alone() {
      return new Setup(null, null, null);
    }

    /**
     * The scope flags of {@code structures} for a run's {@code pruning.scope}: a structure is in
     * when its kind is ({@code scope: [experts]} on Switch leaves the heads out).
     */
    public static boolean[] inScope(
        List<Structure> structures, java.util.Set<Structure.Kind> scope) {
      boolean[] in = new boolean[structures.size()];
      for (int i = 0; i < in.length; i++) {
        in[i] = scope.contains(structures.get(i).kind());
      }
      return in;
    }
  }

  /**
   * One event's gate, everything a caller records.
   *
   * @param scores the final g, one probability per structure in model order (sum 1)
   * @param objective per gate batch, L_S + α Σ s_i² max(T_i, 0) at v before that batch's step
   * @param losses per gate batch, the loss term L_S alone
   * @param features the raw features [λ_min, ρ] per structure
   * @param normalisedFeatures what the gating network saw
   * @param traceBlocks T_i per structure as given or estimated (before the clamp at 0); null when α
   *     = 0
   * @param traces the trace estimate with standard errors; null when α = 0 or the blocks were given
   * @param start v before the event's first gate step
   * @param gate v after the event's last gate step: what the run's next event starts from
   * @param gateSamples the samples v learned on
   */
  public record Result(
      double[] scores,
      double[] objective,
      double[] losses,
      double[][] features,
      double[][] normalisedFeatures,
      double[] traceBlocks,
      HessianTrace.Result traces,
      Options options,
      Gate start,
      Gate gate,
      int gateSamples)
      implements Serializable {}

  /** λ_min below this fraction of the largest λ_min is taken at that floor before the log. */
  static final double LOG_FLOOR = 1e-12;

  /**
   * A feature whose standard deviation is below this fraction of its largest magnitude counts as
   * constant (0).
   */
  static final double CONSTANT_SPREAD = 1e-9;

  private final Options options;

  public PlGate(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  @Override
  public double[] scores(ScoringContext context) {
    return run(context).scores();
  }

  @Override
  public Scored score(ScoringContext context) {
    Result result = run(context);
    return new Scored(result.scores(), result.objective());
  }

  /** One event's gate on its own: {@link #run(ScoringContext, Setup)} with {@link Setup#alone}. */
  public Result run(ScoringContext context) {
    return run(context, Setup.alone());
  }

  /**
   * The features from the scoring samples' kernels, the trace blocks at s = 1 (α > 0), then the
   * gate's training from {@code setup}.
   */
  public Result run(ScoringContext context, Setup setup) {
    double[][] features =
        features(
            StructureSpectra.of(
                context.data(), Spectrum.DEFAULT_FLOOR, JacobianKernels.DEFAULT_MEMORY_BUDGET));
    if (options.alpha() == 0) {
      return train(context, setup, features, null, null);
    }
    HessianTrace.Result traces = traces(context);
    return train(context, setup, features, blocks(traces), traces);
  }

  /**
   * The gate trained on given features and trace blocks (the lower-level entry: tests inject
   * features that separate structures, or blocks of known size).
   *
   * @param features raw [λ_min, ρ] per structure, in model order (normalised here)
   * @param traceBlocks T_i per structure; may be null when α = 0
   */
  public Result train(ScoringContext context, double[][] features, double[] traceBlocks) {
    return train(context, Setup.alone(), features, traceBlocks, null);
  }

  /** {@link #train(ScoringContext, double[][], double[])} from {@code setup}. */
  public Result train(
      ScoringContext context, Setup setup, double[][] features, double[] traceBlocks) {
    return train(context, setup, features, traceBlocks, null);
  }

  private HessianTrace.Result traces(ScoringContext context) {
    return HessianTrace.estimate(
        context.data(),
        options.hutchinsonProbes(),
        context.batchSize(),
        DiagnosticsOptions.DEFAULT_RELATIVE_STEP,
        context.seed());
  }

  private static double[] blocks(HessianTrace.Result traces) {
    double[] blocks = new double[traces.structures().length];
    for (int s = 0; s < blocks.length; s++) {
      blocks[s] = traces.structures()[s].trace();
    }
    return blocks;
  }

  private Result train(
      ScoringContext context,
      Setup setup,
      double[][] features,
      double[] traceBlocks,
      HessianTrace.Result traces) {
    MaskedModel model = context.model();
    List<Structure> structures = model.structures();
    int p = structures.size();
    if (features.length != p) {
      throw new IllegalArgumentException(
          features.length + " feature rows for " + p + " structures");
    }
    if (options.alpha() > 0 && (traceBlocks == null || traceBlocks.length != p)) {
      throw new IllegalArgumentException(
          "alpha > 0 needs one trace block per structure ("
              + p
              + "), got "
              + (traceBlocks == null ? "none" : traceBlocks.length));
    }
    boolean[] inScope = setup.inScope() == null ? all(p) : setup.inScope();
    if (inScope.length != p) {
      throw new IllegalArgumentException(inScope.length + " scope flags for " + p + " structures");
    }
    int[] gated = IntStream.range(0, p).filter(i -> inScope[i]).toArray();
    int q = gated.length;
    if (q == 0) {
      throw new IllegalArgumentException("the gate's scope holds no structure");
    }
    ProbeObjective samples = setup.samples() == null ? context.data() : setup.samples();
    int sampleBatches = (samples.size() + context.batchSize() - 1) / context.batchSize();
    int steps =
        options.gateBatches() > 0 ? options.gateBatches() : options.gateEpochs() * sampleBatches;
    double[][] normalised = normalise(rows(features, gated), options.normalisation());
    double[] objective = new double[steps];
    double[] losses = new double[steps];
    double[] penalty = new double[q];
    double[] blocksNow = traceBlocks == null ? null : rows(traceBlocks, gated);
    for (int s = 0; s < q && options.alpha() > 0; s++) {
      penalty[s] = Math.max(blocksNow[s], 0);
    }
    Gate start =
        setup.start() == null
            ? Gate.drawn(context.seed(), context.event(), options.gateWidth())
            : setup.start();
    if (start.width() != options.gateWidth()) {
      throw new IllegalArgumentException(
          "the gate to continue has width " + start.width() + ", not " + options.gateWidth());
    }
    double[] scores = new double[p];
    Gate end;
    Autograd.zeroGradients(model.parameters().arrays());
    try (NDManager manager = model.parameters().manager().newSubManager();
        Parameters gate = gateNetwork(manager, start);
        AdamW adam = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0f)) {
      NDArray inputs = manager.create(toFloats(normalised), new Shape(q, 2));
      NDArray blocks = manager.create(toFloats(new double[][] {penalty}), new Shape(q));
      NDArray one = manager.ones(new Shape(1));
      NDArray[] layerPositions = layerPositions(manager, model, inScope, gated);
      for (int t = 0; t < steps; t++) {
        if (options.alpha() > 0
            && options.traceEvery() > 0
            && t > 0
            && t % options.traceEvery() == 0) {
          blocks.close();
          blocks =
              manager.create(
                  toFloats(
                      new double[][] {
                        retrace(context, gate, inputs, one, layerPositions, gated, penalty)
                      }),
                  new Shape(q));
        }
        int b = t % sampleBatches;
        try (NDScope scope = new NDScope()) {
          try (Autograd.Mode on = Autograd.recording(true)) {
            NDArray s = Scalars.mul(probabilities(inputs, gate), q);
            setGates(model, s, one, layerPositions);
            NDArray loss =
                samples.loss(
                    b * context.batchSize(),
                    Math.min(samples.size(), (b + 1) * context.batchSize()));
            NDArray total =
                options.alpha() > 0
                    ? loss.add(Scalars.mul(s.square().mul(blocks).sum(), options.alpha()))
                    : loss;
            Autograd.backward(total);
            losses[t] = loss.getFloat();
            objective[t] = losses[t] + options.alpha() * weightedSquares(s.toFloatArray(), penalty);
          } finally {
            model.clearGates();
          }
        }
        adam.step(gate, (float) options.gateLearningRate());
        Autograd.zeroGradients(model.parameters().arrays());
      }
      try (Autograd.Mode off = Autograd.recording(false);
          NDScope scope = new NDScope()) {
        float[] g = probabilities(inputs, gate).toFloatArray();
        for (int s = 0; s < q; s++) {
          scores[gated[s]] = g[s];
        }
      }
      end =
          new Gate(
              gate.get("w1").toFloatArray(),
              gate.get("b1").toFloatArray(),
              gate.get("w2").toFloatArray());
      if (blocksNow != null && options.traceEvery() > 0) {
        float[] last = blocks.toFloatArray();
        for (int s = 0; s < q; s++) {
          blocksNow[s] = last[s];
        }
      }
    } finally {
      model.clearGates();
      Autograd.zeroGradients(model.parameters().arrays());
    }
    double[] finalBlocks = null;
    if (traceBlocks != null) {
      finalBlocks = traceBlocks.clone();
      for (int s = 0; s < q; s++) {
        finalBlocks[gated[s]] = blocksNow[s];
      }
    }
    return new Result(
        scores,
        objective,
        losses,
        copy(features),
        normalised,
        finalBlocks,
        traces,
        options,
        start,
        end,
        samples.size());
  }

  /**
   * The trace blocks of the gated model at the gate's current s: the Hessian block traces of the
   * loss with s set (which carry a factor ŝ_i² in the structure's weights), divided by ŝ_i², so
   * that s_i² T_i equals the gated model's block trace at s = ŝ. A structure whose ŝ_i² is below
   * {@link #RETRACE_FLOOR} keeps its block. Updates {@code penalty} (the clamped blocks) and
   * returns them.
   */
  private double[] retrace(
      ScoringContext context,
      Parameters gate,
      NDArray inputs,
      NDArray one,
      NDArray[] layerPositions,
      int[] gated,
      double[] penalty) {
    MaskedModel model = context.model();
    float[] now;
    try {
      try (Autograd.Mode off = Autograd.recording(false);
          NDScope scope = new NDScope()) {
        NDArray s = Scalars.mul(probabilities(inputs, gate), gated.length);
        now = s.toFloatArray();
        NDArray fixed = s.duplicate();
        NDScope.unregister(fixed);
        try {
          setGates(model, fixed, one, layerPositions);
          double[] blocks = blocks(traces(context));
          for (int i = 0; i < gated.length; i++) {
            double square = (double) now[i] * now[i];
            if (square >= RETRACE_FLOOR) {
              penalty[i] = Math.max(blocks[gated[i]] / square, 0);
            }
          }
        } finally {
          model.clearGates();
          fixed.close();
        }
      }
    } finally {
      Autograd.zeroGradients(model.parameters().arrays());
    }
    return penalty;
  }

  /** Below this ŝ_i² a re-estimated block is too small to divide by; the old one stays. */
  static final double RETRACE_FLOOR = 1e-8;

  /**
   * Sets every layer's gate from s (one value per structure in scope) and 1 (the structures
   * outside); a layer with no structure in scope gets no gate.
   */
  private static void setGates(
      MaskedModel model, NDArray s, NDArray one, NDArray[] layerPositions) {
    NDArray extended = null;
    for (int l = 0; l < layerPositions.length; l++) {
      if (layerPositions[l] != null) {
        if (extended == null) {
          extended = s.concat(one);
        }
        model.setGate(l, extended.get(new NDIndex("{}", layerPositions[l])));
      }
    }
  }

  private static boolean[] all(int p) {
    boolean[] all = new boolean[p];
    java.util.Arrays.fill(all, true);
    return all;
  }

  private static double[][] rows(double[][] rows, int[] at) {
    double[][] out = new double[at.length][];
    for (int i = 0; i < at.length; i++) {
      out[i] = rows[at[i]];
    }
    return out;
  }

  private static double[] rows(double[] values, int[] at) {
    double[] out = new double[at.length];
    for (int i = 0; i < at.length; i++) {
      out[i] = values[at[i]];
    }
    return out;
  }

  /** The raw features [λ_min, ρ] of each structure's kernel spectrum. */
  public static double[][] features(Spectrum[] spectra) {
    double[][] features = new double[spectra.length][];
    for (int s = 0; s < spectra.length; s++) {
      features[s] = new double[] {spectra[s].lambdaMin(), spectra[s].entropy()};
    }
    return features;
  }

  /** The features as the gating network sees them (see the class comment). */
  public static double[][] normalise(double[][] features, Normalisation normalisation) {
    double[][] out = copy(features);
    for (double[] row : out) {
      if (row.length != 2) {
        throw new IllegalArgumentException(
            "a feature row must be [lambda_min, entropy], got " + row.length + " values");
      }
    }
    if (normalisation == Normalisation.NONE) {
      return out;
    }
    if (normalisation == Normalisation.LOG_STANDARDISED) {
      double largest = 0;
      for (double[] row : out) {
        largest = Math.max(largest, row[0]);
      }
      double delta = largest > 0 ? LOG_FLOOR * largest : Double.MIN_NORMAL;
      for (double[] row : out) {
        row[0] = Math.log(Math.max(row[0], delta));
      }
    }
    for (int f = 0; f < 2; f++) {
      double mean = 0;
      for (double[] row : out) {
        mean += row[f] / out.length;
      }
      double variance = 0;
      double largest = 0;
      for (double[] row : out) {
        variance += (row[f] - mean) * (row[f] - mean) / out.length;
        largest = Math.max(largest, Math.abs(row[f]));
      }
      // equal values can leave a rounding-level spread (the mean of equal numbers need not be
      // exact)
      double sd = Math.sqrt(variance);
      boolean constant = !(sd > CONSTANT_SPREAD * largest);
      for (double[] row : out) {
        row[f] = constant ? 0 : (row[f] - mean) / sd;
      }
    }
    return out;
  }

  /** v as trainable parameters of {@code manager}. */
  private static Parameters gateNetwork(NDManager manager, Gate v) {
    int h = v.width();
    Parameters gate = new Parameters(manager);
    gate.add("w1", v.w1(), new Shape(2, h));
    gate.add("b1", v.b1(), new Shape(h));
    gate.add("w2", v.w2(), new Shape(h));
    return gate;
  }

  /** g = softmax(w₂ · tanh(d W₁ + b₁)) over the structures. */
  private static NDArray probabilities(NDArray inputs, Parameters gate) {
    return inputs
        .matMul(gate.get("w1"))
        .add(gate.get("b1"))
        .tanh()
        .matMul(gate.get("w2"))
        .softmax(0);
  }

  /**
   * For each layer, the index into s ⧺ [1] of each of its structures by their index within the
   * layer: a structure in scope at its position among the gated ones, one outside at q (the
   * constant 1); null for a layer with no structure in scope.
   */
  private static NDArray[] layerPositions(
      NDManager manager, MaskedModel model, boolean[] inScope, int[] gated) {
    List<Structure> structures = model.structures();
    int[] rank = new int[structures.size()];
    java.util.Arrays.fill(rank, gated.length);
    for (int i = 0; i < gated.length; i++) {
      rank[gated[i]] = i;
    }
    NDArray[] positions = new NDArray[model.masks().layers()];
    for (int l = 0; l < positions.length; l++) {
      long[] at = new long[model.masks().size(l)];
      java.util.Arrays.fill(at, -1);
      boolean any = false;
      for (int s = 0; s < structures.size(); s++) {
        if (structures.get(s).layer() == l) {
          at[structures.get(s).index()] = rank[s];
          any |= inScope[s];
        }
      }
      for (int i = 0; i < at.length; i++) {
        if (at[i] < 0) {
          throw new IllegalStateException("layer " + l + " has no structure at mask index " + i);
        }
      }
      positions[l] = any ? manager.create(at) : null;
    }
    return positions;
  }

  private static double weightedSquares(float[] s, double[] weights) {
    double sum = 0;
    for (int i = 0; i < s.length; i++) {
      sum += (double) s[i] * s[i] * weights[i];
    }
    return sum;
  }

  /** The rows one after another, as float32. */
  private static float[] toFloats(double[][] rows) {
    int width = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * width];
    for (int r = 0; r < rows.length; r++) {
      for (int c = 0; c < width; c++) {
        out[r * width + c] = (float) rows[r][c];
      }
    }
    return out;
  }

  private static double[][] copy(double[][] rows) {
    double[][] out = new double[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i].clone();
    }
    return out;
  }
}
