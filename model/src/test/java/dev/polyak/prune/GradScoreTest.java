package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.Mlp;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Grad-score against answers found without the code under test: a neuron or head whose output
 * cannot reach the loss scores exactly 0 and goes first; the MLP's scores equal the gate
 * derivatives derived by hand in Java doubles; a BERT head's score equals a finite difference of
 * the loss in its gate.
 */
class GradScoreTest {
  private static final RandomStreams STREAMS = new RandomStreams(5);

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void mlpScoresAreTheMeanAbsoluteHandDerivedGateDerivativesAndADisconnectedNeuronIsLast() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      ScoringFixtures.MlpRegression regression =
          ScoringFixtures.MlpRegression.create(manager, STREAMS, 5);
      Mlp model = regression.model();
      ScoringFixtures.setRows(
          model, "w1", 2, 3, 0f); // neuron 2's outgoing weights: its output never reaches f
      model.masks().set(0, 4, false); // neuron 4 masked: the gate sits on a zero mask entry
      ScoringContext context =
          new ScoringContext(regression.data(), 1, 0, 0, 2); // batches [0, 2), [2, 4), [4, 5)
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, regression.input());

      double[] scores = new GradScore().scores(context);

      before.assertUnchanged();
      ScoringFixtures.HandMlp hand = ScoringFixtures.HandMlp.of(model);
      double[] expected = new double[6];
      for (int b = 0; b < context.batches(); b++) {
        double[] gate =
            hand.gradient(regression.x(), regression.y(), context.batchFrom(b), context.batchTo(b))
                .gate();
        for (int j = 0; j < 6; j++) {
          expected[j] += Math.abs(gate[j]) / context.batches();
        }
      }
      for (int j = 0; j < 6; j++) {
        assertThat(scores[j])
            .as("layer0/neuron%d", j)
            .isCloseTo(expected[j], within(1e-5 * expected[j] + 1e-9));
      }
      assertThat(scores[2]).isZero();
      assertThat(scores[4]).isZero();
      for (int j : new int[] {0, 1, 3, 5}) {
        assertThat(scores[j]).as("a neuron that reaches the loss, %d", j).isGreaterThan(1e-6);
      }
      boolean[] keep = KeepTop.select(model.structures(), scores, 4, 1);
      assertThat(keep[2]).isFalse();
      assertThat(keep[4]).isFalse();
    }
  }

  @Test
  void bertHeadWithZeroOutputProjectionRowsScoresZeroAndAnotherMatchesAFiniteDifferenceInItsGate() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model =
            new Bert(new Bert.Config(50, 16, 2, 4, 32, 8), manager, STREAMS.stream("init"))) {
      int headSize = 16 / 4;
      scaleAttention(
          model,
          20f); // heads with outputs of order one, so their gate derivatives stand above float32
      // noise
      ScoringFixtures.setRows(
          model, "layer1.attention.output.weight", headSize, 2L * headSize, 0f); // layer1/head1
      NDArray ids = tokens(manager, 3);
      ProbeObjective data =
          ProbeObjective.of(model, 3, null, (from, to) -> mlmLoss(model, ids, from, to));
      ScoringFixtures.Snapshot before = ScoringFixtures.Snapshot.of(model, ids);

      double[] scores =
          new GradScore().scores(new ScoringContext(data, 1, 0, 0, 3)); // one batch: I = |∂L/∂ξ|

      before.assertUnchanged();
      int head = 4 + 1;
      assertThat(model.structures().get(head).id()).isEqualTo("layer1/head1");
      assertThat(scores[head]).isZero();
      for (int s = 0; s < scores.length; s++) {
        if (s != head) {
          assertThat(scores[s]).as(model.structures().get(s).id()).isGreaterThan(1e-6);
        }
      }
      assertThat(KeepTop.select(model.structures(), scores, 7, 1)[head]).isFalse();

      // ∂L/∂ξ of layer0/head2 by central differences of the loss in its gate, ξ = 1 ± h
      double h = 1e-2;
      double derivative =
          (gatedLoss(model, data, 0, 2, 1 + h) - gatedLoss(model, data, 0, 2, 1 - h)) / (2 * h);
      assertThat(Math.abs(derivative)).as("a test case with a derivative").isGreaterThan(1e-4);
      assertThat(scores[2]).isCloseTo(Math.abs(derivative), within(2e-3 * Math.abs(derivative)));
    }
  }

  private static void scaleAttention(Bert model, float factor) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      model
          .parameters()
          .all()
          .forEach(
              (name, p) -> {
                if (name.contains(".attention.") && name.endsWith("weight")) {
                  p.muli(factor);
                }
              });
    }
  }

  /**
   * The loss with gate {@code value} on structure {@code index} of layer {@code layer} (ones
   * elsewhere).
   */
  private static double gatedLoss(
      Bert model, ProbeObjective data, int layer, int index, double value) {
    float[] gate = new float[model.masks().size(layer)];
    java.util.Arrays.fill(gate, 1f);
    gate[index] = (float) value;
    try (Autograd.Mode off = Autograd.recording(false)) {
      model.setGate(layer, model.parameters().manager().create(gate));
      return data.loss(0, data.size()).getFloat();
    } finally {
      model.clearGates();
    }
  }

  /**
   * Mean cross-entropy over every position of rows [from, to), the target of position t being token
   * (t * 3) % 50.
   */
  private static NDArray mlmLoss(Bert model, NDArray ids, int from, int to) {
    NDArray logits = model.forward(ids.get(from + ":" + to));
    long length = ids.getShape().get(1);
    long[] targets = new long[(int) ((to - from) * length)];
    for (int e = 0; e < targets.length; e++) {
      targets[e] = (e % length * 3) % 50;
    }
    NDArray index = ids.getManager().create(targets, new Shape(to - from, length, 1));
    return logits.logSoftmax(2).gather(index, 2).mean().neg();
  }

  private static NDArray tokens(NDManager manager, int rows) {
    int[] tokens = new int[rows * 8];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = 5 + (i * 7) % 45;
    }
    return manager.create(tokens, new Shape(rows, 8));
  }
}
