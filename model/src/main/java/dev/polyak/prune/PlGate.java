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
   * @param gateBatches Adam steps on v, one scoring batch each (cycling through the batches)
   * @param alpha weight α of the Hessian-trace penalty; 0 skips the trace estimate
   * @param hutchinsonProbes Rademacher probes of the trace estimate (used when α > 0)
   * @param normalisation feature scaling
   */
  public record Options(
      int gateWidth,
      double gateLearningRate,
      int gateBatches,
      double alpha,
      int hutchinsonProbes,
      Normalisation normalisation)
      implements Serializable {
    /**
     * Ample for a map from two features to one logit; the network costs nothing next to the model.
     */
    public static final int DEFAULT_GATE_WIDTH = 16;

    /** Large enough to move the logits by several units within the default batches. */
    public static final double DEFAULT_GATE_LEARNING_RATE = 0.01;

    /**
     * A few passes over a 64-sample scoring set at batch 16: small next to training (paper: 2–3 %).
     */
    public static final int DEFAULT_GATE_BATCHES = 50;

    /** The paper's α = 1 while the gate learns. */
    public static final double DEFAULT_ALPHA = 1.0;

    /** As the diagnostics' trace estimate. */
    public static final int DEFAULT_HUTCHINSON_PROBES =
        DiagnosticsOptions.DEFAULT_HUTCHINSON_PROBES;

    public Options {
      if (gateWidth < 1) {
        throw new RunFileException("gate_width", "gate_width must be >= 1, got " + gateWidth);
      }
      if (!(gateLearningRate > 0) || Double.isInfinite(gateLearningRate)) {
        throw new RunFileException(
            "gate_learning_rate",
            "gate_learning_rate must be positive and finite, got " + gateLearningRate);
      }
      if (gateBatches < 1) {
        throw new RunFileException("gate_batches", "gate_batches must be >= 1, got " + gateBatches);
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
          gateWidth, gateLearningRate, gateBatches, a, hutchinsonProbes, normalisation);
    }

    public Options withGateBatches(int batches) {
      return new Options(
          gateWidth, gateLearningRate, batches, alpha, hutchinsonProbes, normalisation);
    }

    public Options withGateLearningRate(double rate) {
      return new Options(gateWidth, rate, gateBatches, alpha, hutchinsonProbes, normalisation);
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
   */
  public record Result(
      double[] scores,
      double[] objective,
      double[] losses,
      double[][] features,
      double[][] normalisedFeatures,
      double[] traceBlocks,
      HessianTrace.Result traces,
      Options options)
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

  /**
   * The features from the scoring samples' kernels, the trace blocks (α > 0), then {@link #train}.
   */
  public Result run(ScoringContext context) {
    double[][] features =
        features(
            StructureSpectra.of(
                context.data(), Spectrum.DEFAULT_FLOOR, JacobianKernels.DEFAULT_MEMORY_BUDGET));
    if (options.alpha() == 0) {
      return train(context, features, null, null);
    }
    HessianTrace.Result traces =
        HessianTrace.estimate(
            context.data(),
            options.hutchinsonProbes(),
            context.batchSize(),
            DiagnosticsOptions.DEFAULT_RELATIVE_STEP,
            context.seed());
    double[] blocks = new double[traces.structures().length];
    for (int s = 0; s < blocks.length; s++) {
      blocks[s] = traces.structures()[s].trace();
    }
    return train(context, features, blocks, traces);
  }

  /**
   * The gate trained on given features and trace blocks (the lower-level entry: tests inject
   * features that separate structures, or blocks of known size).
   *
   * @param features raw [λ_min, ρ] per structure, in model order (normalised here)
   * @param traceBlocks T_i per structure; may be null when α = 0
   */
  public Result train(ScoringContext context, double[][] features, double[] traceBlocks) {
    return train(context, features, traceBlocks, null);
  }

  private Result train(
      ScoringContext context,
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
    double[][] normalised = normalise(features, options.normalisation());
    double[] objective = new double[options.gateBatches()];
    double[] losses = new double[options.gateBatches()];
    double[] penalty = new double[p];
    for (int s = 0; s < p && options.alpha() > 0; s++) {
      penalty[s] = Math.max(traceBlocks[s], 0);
    }
    double[] scores;
    Autograd.zeroGradients(model.parameters().arrays());
    try (NDManager manager = model.parameters().manager().newSubManager();
        Parameters gate = gateNetwork(manager, context.seed(), context.event());
        AdamW adam = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0f)) {
      NDArray inputs = manager.create(toFloats(normalised), new Shape(p, 2));
      NDArray blocks = manager.create(toFloats(new double[][] {penalty}), new Shape(p));
      NDArray[] layerPositions = layerPositions(manager, model);
      for (int t = 0; t < options.gateBatches(); t++) {
        int b = t % context.batches();
        try (NDScope scope = new NDScope()) {
          try (Autograd.Mode on = Autograd.recording(true)) {
            NDArray s = Scalars.mul(probabilities(inputs, gate), p);
            for (int l = 0; l < layerPositions.length; l++) {
              model.setGate(l, s.get(new NDIndex("{}", layerPositions[l])));
            }
            NDArray loss = context.data().loss(context.batchFrom(b), context.batchTo(b));
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
        scores = new double[p];
        for (int s = 0; s < p; s++) {
          scores[s] = g[s];
        }
      }
    } finally {
      model.clearGates();
      Autograd.zeroGradients(model.parameters().arrays());
    }
    return new Result(
        scores,
        objective,
        losses,
        copy(features),
        normalised,
        traceBlocks == null ? null : traceBlocks.clone(),
        traces,
        options);
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

  /** v = (W₁, b₁, w₂), drawn from the "gating" stream at {@code event << 32}. */
  private Parameters gateNetwork(NDManager manager, long seed, int event) {
    RandomStream stream = new RandomStreams(seed).stream(RandomStreams.GATING);
    stream.seek((long) event << 32);
    int h = options.gateWidth();
    Parameters gate = new Parameters(manager);
    gate.normal("w1", new Shape(2, h), (float) Math.sqrt(0.5), stream);
    gate.constant("b1", new Shape(h), 0f);
    gate.normal("w2", new Shape(h), (float) (0.1 / Math.sqrt(h)), stream);
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
   * For each layer, the positions in model order of its structures, by their index within the
   * layer.
   */
  private static NDArray[] layerPositions(NDManager manager, MaskedModel model) {
    List<Structure> structures = model.structures();
    NDArray[] positions = new NDArray[model.masks().layers()];
    for (int l = 0; l < positions.length; l++) {
      long[] at = new long[model.masks().size(l)];
      java.util.Arrays.fill(at, -1);
      for (int s = 0; s < structures.size(); s++) {
        if (structures.get(s).layer() == l) {
          at[structures.get(s).index()] = s;
        }
      }
      for (int i = 0; i < at.length; i++) {
        if (at[i] < 0) {
          throw new IllegalStateException("layer " + l + " has no structure at mask index " + i);
        }
      }
      positions[l] = manager.create(at);
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
