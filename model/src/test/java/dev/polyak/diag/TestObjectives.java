package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.MlmModel;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStream;
import dev.polyak.testing.TestModel;
import dev.polyak.testing.TestRows;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Small models and probe objectives with known answers, for the diagnostics tests. */
final class TestObjectives {
  private TestObjectives() {}

  /**
   * f(x) = Σ_i m_i w_i x_i + c: one structure per input coordinate (slice i of w, mask entry i);
   * the bias c belongs to no structure. Its NTK is X Xᵀ + 1 1ᵀ whatever the weights.
   */
  static final class Linear extends TestModel {
    Linear(NDManager manager, int inputs, RandomStream init) {
      super(manager, inputs);
      parameters.normal("w", new Shape(inputs), 1f, init);
      parameters.constant("c", new Shape(1), 0.5f);
      for (int i = 0; i < inputs; i++) {
        structures.add(
            new Structure(
                "input" + i,
                0,
                i,
                Structure.Kind.NEURON,
                List.of(new Structure.Slice("w", 0, i, i + 1))));
      }
    }

    @Override
    public NDArray forward(NDArray input) {
      NDArray w = parameters.get("w").mul(input.getManager().create(masks.layer(0)));
      return input.matMul(w.reshape(-1, 1)).add(parameters.get("c"));
    }

    @Override
    public long flopsPerSample() {
      return 2L * masks.size(0);
    }
  }

  /** f_b = the model's single output on row b of x; loss = mean of ½ f_b². */
  static ProbeObjective regression(MaskedModel model, float[][] x) {
    return ProbeObjective.of(
        model,
        x.length,
        1,
        (probe, j) -> model.forward(rows(model, x, probe, probe + 1)).reshape(new Shape()),
        (from, to, j) -> model.forward(rows(model, x, from, to)).sum(),
        (from, to) ->
            dev.polyak.nn.Scalars.mul(
                model.forward(rows(model, x, from, to)).square().mean(), 0.5));
  }

  /** f_b = cross-entropy of row b of x against class y[b]; loss = mean cross-entropy. */
  static ProbeObjective classification(MaskedModel model, float[][] x, int[] y) {
    return classification(model, x, y, new Shape(x[0].length));
  }

  /**
   * As {@link #classification(MaskedModel, float[][], int[])}, each row of x reshaped to {@code
   * sample} (an image's {@code [3, 32, 32]}) for the model.
   */
  static ProbeObjective classification(MaskedModel model, float[][] x, int[] y, Shape sample) {
    ProbeObjective.RangeLoss loss =
        (from, to) -> {
          NDArray logits =
              model.forward(rows(model, x, from, to).reshape(new Shape(to - from).addAll(sample)));
          long[] targets = new long[to - from];
          for (int b = from; b < to; b++) {
            targets[b - from] = y[b];
          }
          NDArray index = logits.getManager().create(targets, new Shape(targets.length, 1));
          return logits.logSoftmax(1).gather(index, 1).mean().neg();
        };
    return ProbeObjective.of(
        model,
        x.length,
        1,
        (probe, j) -> loss.loss(probe, probe + 1),
        (from, to, j) -> dev.polyak.nn.Scalars.mul(loss.loss(from, to), to - from),
        loss);
  }

  /**
   * {@link #mlm} on n random rows of the model's maximum length (word ids 5 and up), each masked
   * (id 4) at {@code positions.apply(b)}, the original ids being the targets.
   */
  static ProbeObjective randomMlm(
      MlmModel model, RandomStream data, int n, IntFunction<int[]> positions) {
    return randomMlm(model, data, n, positions, null, independentRows(model));
  }

  /**
   * As {@link #randomMlm}, with the scalars and batching of {@link #mlm(MlmModel, int[][], int[][],
   * int[][], LogitScalars, boolean)}.
   */
  static ProbeObjective randomMlm(
      MlmModel model,
      RandomStream data,
      int n,
      IntFunction<int[]> positions,
      LogitScalars scalars,
      boolean batched) {
    int length = model.encoderConfig().maxLength();
    int[][] ids = new int[n][length];
    int[][] masked = new int[n][];
    int[][] targets = new int[n][];
    for (int b = 0; b < n; b++) {
      for (int t = 0; t < length; t++) {
        ids[b][t] = 5 + data.nextInt(model.vocabSize() - 5);
      }
      masked[b] = positions.apply(b);
      targets[b] = new int[masked[b].length];
      for (int k = 0; k < masked[b].length; k++) {
        targets[b][k] = ids[b][masked[b][k]];
        ids[b][masked[b][k]] = 4;
      }
    }
    return mlm(model, ids, masked, targets, scalars, batched);
  }

  /**
   * f_b = mean MLM cross-entropy of row b at positions {@code masked[b]} (inputs already masked).
   */
  static ProbeObjective mlm(MlmModel model, int[][] ids, int[][] masked, int[][] targets) {
    return mlm(model, ids, masked, targets, null, independentRows(model));
  }

  /**
   * Whether the rows of a batch do not interact in the model, so the objective has a batched sum:
   * as in the MLM trainer, a BERT's do, a Switch's do not (its expert capacity depends on the
   * batch).
   */
  static boolean independentRows(MlmModel model) {
    return model instanceof dev.polyak.nn.Bert;
  }

  /**
   * f_{b,j} = {@code scalars}' scalar j of row b's logits at positions {@code masked[b]} (the mean
   * cross-entropy when null); with {@code batched}, the objective's batched sum is given (rows run
   * as one batch), else it is absent (probes run one at a time, as for a mixture of experts).
   */
  static ProbeObjective mlm(
      MlmModel model,
      int[][] ids,
      int[][] masked,
      int[][] targets,
      LogitScalars scalars,
      boolean batched) {
    return ProbeObjective.of(
        model,
        ids.length,
        scalars == null ? 1 : scalars.kernel().outputsPerProbe(),
        (probe, j) -> mlmSum(model, ids, masked, targets, scalars, probe, probe + 1, j),
        batched ? (from, to, j) -> mlmSum(model, ids, masked, targets, scalars, from, to, j) : null,
        (from, to) -> mlmLoss(model, ids, masked, targets, from, to));
  }

  /** Σ_b over rows [from, to), run as one batch, of row b's scalar j (mean cross-entropy: null). */
  private static NDArray mlmSum(
      MlmModel model,
      int[][] ids,
      int[][] masked,
      int[][] targets,
      LogitScalars scalars,
      int from,
      int to,
      int j) {
    NDManager manager = model.parameters().manager();
    int length = ids[0].length;
    int[] flat = new int[(to - from) * length];
    for (int b = from; b < to; b++) {
      System.arraycopy(ids[b], 0, flat, (b - from) * length, length);
    }
    NDArray hidden =
        model
            .encode(manager.create(flat, new Shape(to - from, length)))
            .reshape((long) (to - from) * length, model.hiddenSize());
    NDArray sum = null;
    for (int b = from; b < to; b++) {
      long[] positions = new long[masked[b].length];
      long[] labels = new long[masked[b].length];
      for (int k = 0; k < positions.length; k++) {
        positions[k] = (long) (b - from) * length + masked[b][k];
        labels[k] = targets[b][k];
      }
      NDArray logits = model.mlmLogits(hidden.get(new NDIndex("{}", manager.create(positions))));
      NDArray f =
          scalars == null
              ? logits
                  .logSoftmax(1)
                  .gather(manager.create(labels, new Shape(labels.length, 1)), 1)
                  .mean()
                  .neg()
              : scalars.scalar(logits, labels, j);
      sum = sum == null ? f : sum.add(f);
    }
    return sum;
  }

  private static NDArray mlmLoss(
      MlmModel model, int[][] ids, int[][] masked, int[][] targets, int from, int to) {
    NDManager manager = model.parameters().manager();
    int length = ids[0].length;
    List<Long> positions = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    int[] flat = new int[(to - from) * length];
    for (int b = from; b < to; b++) {
      System.arraycopy(ids[b], 0, flat, (b - from) * length, length);
      for (int k = 0; k < masked[b].length; k++) {
        positions.add((long) (b - from) * length + masked[b][k]);
        labels.add((long) targets[b][k]);
      }
    }
    NDArray hidden =
        model
            .encode(manager.create(flat, new Shape(to - from, length)))
            .reshape((long) (to - from) * length, model.hiddenSize());
    NDArray rows =
        hidden.get(
            new NDIndex(
                "{}", manager.create(positions.stream().mapToLong(Long::longValue).toArray())));
    NDArray index =
        manager.create(
            labels.stream().mapToLong(Long::longValue).toArray(), new Shape(labels.size(), 1));
    return model.mlmLogits(rows).logSoftmax(1).gather(index, 1).mean().neg();
  }

  private static NDArray rows(MaskedModel model, float[][] x, int from, int to) {
    return TestRows.rows(model.parameters().manager(), x, from, to);
  }

  static float[][] gaussian(RandomStream stream, int n, int d) {
    return TestRows.gaussian(stream, n, d);
  }
}
