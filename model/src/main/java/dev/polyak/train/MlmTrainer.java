package dev.polyak.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.data.read.MlmMasking;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.LogitScalars;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.MlmModel;
import dev.polyak.nn.Scalars;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;

/**
 * Trains BERT by masked language modelling on token shards. The loss is the cross-entropy at the
 * masked positions only (the decoder runs on those rows alone); the metric is perplexity. Weights
 * come from the "init" stream, and the masking of row {@code b} of step {@code s} from "masking" at
 * position {@code (s * batch + b) * 4096} (a row of 128 tokens draws at most 384 numbers), so a run
 * resumed at any step masks exactly as an uninterrupted one.
 */
public final class MlmTrainer extends Trainer {
  private static final long DRAWS_PER_ROW = 4096;
  private final TokenDataset train;
  private final TokenDataset eval;
  private final MlmModel model;
  private final RandomStream masking;
  private final MlmMasking masker;

  /** Builds an MLM model under the trainer's manager from the run's "init" stream. */
  @FunctionalInterface
  public interface ModelFactory {
    MlmModel create(NDManager manager, RandomStream init);
  }

  /** BERT on the CPU. */
  public MlmTrainer(
      Bert.Config modelConfig, TrainingConfig config, TokenDataset train, TokenDataset eval) {
    this(
        (manager, init) -> new Bert(modelConfig, manager, init), config, train, eval, Device.cpu());
  }

  public MlmTrainer(
      ModelFactory modelFactory,
      TrainingConfig config,
      TokenDataset train,
      TokenDataset eval,
      Device device) {
    super(config, train.size(), device);
    this.train = train;
    this.eval = eval;
    this.model = modelFactory.create(manager, streams.stream(RandomStreams.INIT));
    if (model.vocabSize() != train.vocabularySize()) {
      model.close();
      throw new IllegalArgumentException(
          "the model's vocabulary has "
              + model.vocabSize()
              + " ids but the shards' has "
              + train.vocabularySize());
    }
    initDecoderBias(model, train);
    this.masking = streams.stream(RandomStreams.MASKING);
    this.masker = MlmMasking.bert(model.vocabSize());
    createOptimizer();
  }

  /**
   * Starts the decoder bias at the log of the training split's add-one smoothed unigram
   * distribution, so the run begins at the unigram model instead of spending its first thousands of
   * steps getting there: with Adam each bias moves by about the learning rate per step, and the
   * log-probabilities of WikiText's words span more than 15 nats.
   */
  static void initDecoderBias(MlmModel model, TokenDataset train) {
    long[] counts = new long[model.vocabSize()];
    for (int[] row : train.rows()) {
      for (int id : row) {
        counts[id]++;
      }
    }
    double total = Arrays.stream(counts).sum() + counts.length;
    float[] bias = new float[counts.length];
    for (int id = 0; id < counts.length; id++) {
      bias[id] = (float) Math.log((counts[id] + 1) / total);
    }
    try (Autograd.Mode off = Autograd.recording(false)) {
      dev.polyak.nn.Parameters.overwrite(model.parameters().get("mlm.decoder.bias"), bias);
    }
  }

  @Override
  public MlmModel model() {
    return model;
  }

  @Override
  protected NDArray trainingLoss(long step, int[] samples) {
    long started = System.nanoTime();
    int[][] inputs = new int[samples.length][];
    int[][] labels = new int[samples.length][];
    for (int b = 0; b < samples.length; b++) {
      masking.seek((step * config.batchSize() + b) * DRAWS_PER_ROW);
      MlmMasking.Masked masked = masker.apply(train.row(samples[b]), masking);
      inputs[b] = masked.inputIds();
      labels[b] = masked.labels();
    }
    addHostNanos(System.nanoTime() - started);
    return loss(inputs, labels, true);
  }

  /**
   * Mean masked-token loss on the first {@code evalSamples} held-out rows, masked from a fixed
   * stream.
   */
  @Override
  protected Evaluation evaluateHeldOut() {
    RandomStream evalMasking = streams.stream("eval-masking");
    int rows = Math.min(config.evalSamples(), eval.size());
    double sum = 0;
    long tokens = 0;
    for (int start = 0; start < rows; start += config.batchSize()) {
      int n = Math.min(config.batchSize(), rows - start);
      int[][] inputs = new int[n][];
      int[][] labels = new int[n][];
      long count = 0;
      for (int b = 0; b < n; b++) {
        evalMasking.seek((long) (start + b) * DRAWS_PER_ROW);
        MlmMasking.Masked masked = masker.apply(eval.row(start + b), evalMasking);
        inputs[b] = masked.inputIds();
        labels[b] = masked.labels();
        count += maskedCount(labels[b]);
      }
      if (count == 0) {
        continue;
      }
      try (NDScope scope = new NDScope()) {
        sum += loss(inputs, labels, false).getFloat() * count;
        tokens += count;
      }
    }
    double loss = tokens == 0 ? Double.NaN : sum / tokens;
    return new Evaluation(loss, Math.exp(loss));
  }

  private static int maskedCount(int[] labels) {
    int n = 0;
    for (int label : labels) {
      n += label == MlmMasking.IGNORE_LABEL ? 0 : 1;
    }
    return n;
  }

  /**
   * Mean cross-entropy over the masked positions of a batch; in training plus the model's own
   * auxiliary loss (Switch's load balancing), which evaluation leaves out so that eval perplexity
   * is comparable across models.
   */
  private NDArray loss(int[][] inputs, int[][] labels, boolean training) {
    MaskedLogits rows = maskedLogits(inputs, labels, training);
    NDArray crossEntropy = Losses.crossEntropy(rows.logits(), rows.targets());
    NDArray loss = rows.masked() == 0 ? Scalars.mul(crossEntropy, 0) : crossEntropy;
    return training ? loss.add(rows.auxiliaryLoss()) : loss;
  }

  /**
   * Logits at the masked positions of a batch, their targets and (in training) the auxiliary loss.
   */
  private record MaskedLogits(NDArray logits, long[] targets, int masked, NDArray auxiliaryLoss) {}

  private MaskedLogits maskedLogits(int[][] inputs, int[][] labels, boolean training) {
    int batch = inputs.length;
    int length = inputs[0].length;
    int[] flat = new int[batch * length];
    int masked = 0;
    for (int b = 0; b < batch; b++) {
      System.arraycopy(inputs[b], 0, flat, b * length, length);
      masked += maskedCount(labels[b]);
    }
    long[] positions = new long[Math.max(1, masked)];
    long[] targets = new long[positions.length];
    int m = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < length; t++) {
        if (labels[b][t] != MlmMasking.IGNORE_LABEL) {
          positions[m] = (long) b * length + t;
          targets[m++] = labels[b][t];
        }
      }
    }
    NDArray ids = manager.create(flat, new Shape(batch, length));
    MlmModel.Encoding encoding = training ? model.encodeForTraining(ids) : null;
    NDArray hidden =
        (training ? encoding.hidden() : model.encode(ids))
            .reshape(batch * length, model.hiddenSize());
    NDArray rows = hidden.get(new NDIndex("{}", manager.create(positions)));
    return new MaskedLogits(
        model.mlmLogits(rows), targets, masked, training ? encoding.auxiliaryLoss() : null);
  }

  @Override
  public ProbeObjective probes(int[] samples, KernelKind kernel) {
    model.evaluation();
    RandomStream probeMasking = streams.stream("probe-masking");
    int[][] inputs = new int[samples.length][];
    int[][] labels = new int[samples.length][];
    for (int b = 0; b < samples.length; b++) {
      probeMasking.seek((long) samples[b] * DRAWS_PER_ROW);
      MlmMasking.Masked masked = masker.apply(train.row(samples[b]), probeMasking);
      inputs[b] = masked.inputIds();
      labels[b] = masked.labels();
    }
    ProbeObjective.RangeLoss loss =
        (from, to) ->
            loss(Arrays.copyOfRange(inputs, from, to), Arrays.copyOfRange(labels, from, to), false);
    LogitScalars scalars =
        kernel.output() == ScalarOutput.LOSS ? null : logitScalars(kernel, model.vocabSize());
    return ProbeObjective.of(
        model,
        samples.length,
        kernel.outputsPerProbe(),
        (probe, j) -> {
          if (scalars == null) {
            return loss.loss(probe, probe + 1);
          }
          MaskedLogits rows =
              maskedLogits(new int[][] {inputs[probe]}, new int[][] {labels[probe]}, false);
          NDArray mean = scalars.scalar(rows.logits(), rows.targets(), j);
          return rows.masked() == 0 ? Scalars.mul(mean, 0) : mean;
        },
        // a Switch model's expert capacity depends on the batch: its probes run one at a time
        model instanceof Bert
            ? (from, to, j) -> outputSum(inputs, labels, scalars, from, to, j)
            : null,
        loss);
  }

  /**
   * Σ over rows [from, to) of each row's scalar j (its mean over its masked positions), the rows
   * run as one batch; a row without masked positions adds nothing, as its scalar is zero.
   */
  private NDArray outputSum(
      int[][] inputs, int[][] labels, LogitScalars scalars, int from, int to, int j) {
    MaskedLogits rows =
        maskedLogits(
            Arrays.copyOfRange(inputs, from, to), Arrays.copyOfRange(labels, from, to), false);
    NDArray sum = Scalars.mul(rows.logits().sum(), 0);
    int offset = 0;
    for (int b = from; b < to; b++) {
      int m = maskedCount(labels[b]);
      if (m == 0) {
        continue;
      }
      NDArray logits = rows.logits().get(new NDIndex("{}:{}", offset, offset + m));
      long[] targets = Arrays.copyOfRange(rows.targets(), offset, offset + m);
      sum =
          sum.add(
              scalars == null
                  ? Losses.crossEntropy(logits, targets)
                  : scalars.scalar(logits, targets, j));
      offset += m;
    }
    return sum;
  }
}
