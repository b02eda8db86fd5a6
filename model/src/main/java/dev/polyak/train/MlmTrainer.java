package dev.polyak.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.data.read.Batches;
import dev.polyak.data.read.MlmMasking;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.AdamW;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;

/**
 * Trains BERT by masked language modelling on token shards. The loss is the cross-entropy at the
 * masked positions only (the decoder runs on those rows alone). Every random draw comes from the
 * run's streams: weights from "init", the data order from "data-order" (per epoch), and the
 * masking of row {@code b} of step {@code s} from "masking" at position {@code (s * batch + b) *
 * 4096} (a row of 128 tokens draws at most 384 numbers), so a run resumed at any step masks
 * exactly as an uninterrupted one.
 */
public final class MlmTrainer implements AutoCloseable {
  private static final long DRAWS_PER_ROW = 4096;
  /** Gradients are clipped to this global norm before each update, as in BERT's recipe. */
  private static final double MAX_GRADIENT_NORM = 1.0;
  private final MlmRun run;
  private final TokenDataset train;
  private final TokenDataset eval;
  private final NDManager manager;
  private final Bert model;
  private final AdamW optimizer;
  private final Batches batches;
  private final RandomStream masking;
  private final MlmMasking masker;
  private long step;

  public MlmTrainer(MlmRun run, TokenDataset train, TokenDataset eval) {
    Autograd.ensureEngine();
    this.run = run;
    this.train = train;
    this.eval = eval;
    RandomStreams streams = new RandomStreams(run.seed());
    this.manager = NDManager.newBaseManager("PyTorch");
    this.model = new Bert(run.model(), manager, streams.stream(RandomStreams.INIT));
    this.optimizer = new AdamW(manager, 0.9f, 0.999f, 1e-8f, (float) run.weightDecay());
    this.batches = new Batches(streams, train.size());
    this.masking = streams.stream(RandomStreams.MASKING);
    this.masker = MlmMasking.bert(run.model().vocabSize());
  }

  public Bert model() {
    return model;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  public long step() {
    return step;
  }

  /** Continues from {@code step} (after weights and optimizer state were restored). */
  public void seekStep(long step) {
    this.step = step;
  }

  /** Trains until {@code run.steps()} (or {@code untilStep}, if smaller), reporting every {@code evalEvery} steps. */
  public void train(long untilStep, TrainingListener listener) {
    long end = Math.min(untilStep, run.steps());
    double lossSum = 0;
    long lossCount = 0;
    long started = System.nanoTime();
    while (step < end) {
      double lr = LearningRates.warmupLinearDecay(run.peakLearningRate(), run.warmupSteps(), run.steps(), step);
      double loss = trainStep((float) lr);
      if (!Double.isFinite(loss)) {
        throw new DivergedException(step, loss);
      }
      lossSum += loss;
      lossCount++;
      step++;
      if (step % run.evalEvery() == 0 || step == run.steps()) {
        double evalLoss = evaluate();
        double millis = (System.nanoTime() - started) / 1e6 / lossCount;
        listener.onMetrics(new MetricRecord(step, lossSum / lossCount, evalLoss, Math.exp(evalLoss), lr, millis,
            model.keptParameters()));
        lossSum = 0;
        lossCount = 0;
        started = System.nanoTime();
      }
    }
  }

  private double trainStep(float lr) {
    int[] rows = batches.batch(step, run.batchSize());
    int[][] inputs = new int[rows.length][];
    int[][] labels = new int[rows.length][];
    for (int b = 0; b < rows.length; b++) {
      masking.seek((step * run.batchSize() + b) * DRAWS_PER_ROW);
      MlmMasking.Masked masked = masker.apply(train.row(rows[b]), masking);
      inputs[b] = masked.inputIds();
      labels[b] = masked.labels();
    }
    double loss;
    try (NDScope scope = new NDScope();
        Autograd.Mode on = Autograd.recording(true)) {
      NDArray value = loss(inputs, labels);
      Autograd.backward(value);
      loss = value.getFloat();
    }
    Autograd.clipGradientNorm(model.parameters().arrays(), MAX_GRADIENT_NORM);
    optimizer.step(model.parameters(), lr);
    return loss;
  }

  /** Mean masked-token loss on the first {@code evalRows} held-out rows, masked from a fixed stream. */
  public double evaluate() {
    RandomStream evalMasking = new RandomStreams(run.seed()).stream("eval-masking");
    int rows = Math.min(run.evalRows(), eval.size());
    double sum = 0;
    long tokens = 0;
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int start = 0; start < rows; start += run.batchSize()) {
        int n = Math.min(run.batchSize(), rows - start);
        int[][] inputs = new int[n][];
        int[][] labels = new int[n][];
        long count = 0;
        for (int b = 0; b < n; b++) {
          evalMasking.seek((long) (start + b) * DRAWS_PER_ROW);
          MlmMasking.Masked masked = masker.apply(eval.row(start + b), evalMasking);
          inputs[b] = masked.inputIds();
          labels[b] = masked.labels();
          for (int label : labels[b]) {
            count += label == MlmMasking.IGNORE_LABEL ? 0 : 1;
          }
        }
        if (count == 0) {
          continue;
        }
        try (NDScope scope = new NDScope()) {
          sum += loss(inputs, labels).getFloat() * count;
          tokens += count;
        }
      }
    }
    return tokens == 0 ? Double.NaN : sum / tokens;
  }

  /** Mean cross-entropy over the masked positions of a batch. */
  private NDArray loss(int[][] inputs, int[][] labels) {
    int batch = inputs.length;
    int length = inputs[0].length;
    int[] flat = new int[batch * length];
    int masked = 0;
    for (int b = 0; b < batch; b++) {
      System.arraycopy(inputs[b], 0, flat, b * length, length);
      for (int label : labels[b]) {
        masked += label == MlmMasking.IGNORE_LABEL ? 0 : 1;
      }
    }
    long[] positions = new long[Math.max(1, masked)];
    float[] targets = new float[positions.length];
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
    NDArray hidden = model.encode(ids).reshape(batch * length, run.model().hidden());
    NDArray rows = hidden.get(new NDIndex("{}", manager.create(positions)));
    NDArray logProbabilities = model.mlmLogits(rows).logSoftmax(1);
    NDArray onehot = manager.create(targets).oneHot(run.model().vocabSize());
    NDArray perRow = logProbabilities.mul(onehot).sum(new int[] {1});
    return masked == 0 ? perRow.mul(0).sum() : perRow.mean().neg();
  }

  @Override
  public void close() {
    optimizer.close();
    model.close();
    manager.close();
  }
}
