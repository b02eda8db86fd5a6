package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ProbeSet;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.diag.StabilityEstimate;
import dev.polyak.nn.Autograd;
import dev.polyak.testing.ToyImages;
import java.util.Arrays;
import java.util.Collection;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stability estimate from a checkpoint of a small MLP run on random images: exactly zero
 * without training, non-zero after training, bitwise the same twice, and each left-out sample's
 * figures independent of which other samples were left out beside it.
 */
class StabilityTest {
  private static final int SAMPLES = 48;
  private static final TrainingConfig CONFIG = ToyImages.sgd(3, 40, 8, 0.05);
  private static ImageDataset data;
  private static Checkpoint checkpoint;

  /** A checkpoint at step 10 of 40. */
  @BeforeAll
  static void checkpoint() {
    data = ToyImages.random(4, SAMPLES);
    try (Trainer trainer = ToyImages.mlpTrainer(CONFIG, data)) {
      trainer.train(10, record -> {});
      checkpoint = TrainerCheckpoints.capture(trainer, "{}", "[]", false);
    }
  }

  private static final Supplier<Trainer> RESTORED =
      () -> {
        Trainer trainer = ToyImages.mlpTrainer(CONFIG, data);
        TrainerCheckpoints.restore(trainer, checkpoint);
        return trainer;
      };

  @Test
  void noStepsGiveExactlyZero() {
    StabilityEstimate estimate = Stability.estimate(RESTORED, 0, 4, 11);
    assertThat(estimate.fromStep()).isEqualTo(10);
    assertThat(estimate.samples())
        .hasSize(4)
        .allSatisfy(
            s -> {
              assertThat(s.difference()).isZero();
              assertThat(s.lossLeftOut()).isEqualTo(s.lossTrainedOn());
              assertThat(s.lossTrainedOn()).isPositive();
            });
    assertThat(estimate.mean()).isZero();
    assertThat(estimate.standardError()).isZero();
  }

  @Test
  void trainingWithAndWithoutASampleMovesItsLossApart() {
    StabilityEstimate estimate = Stability.estimate(RESTORED, 6, 4, 11);
    estimate
        .samples()
        .forEach(
            s ->
                System.out.printf(
                    "stability T=6: sample %d, L(w_S) %.6f, L(w_S\\i) %.6f, |diff| %.3e%n",
                    s.index(), s.lossTrainedOn(), s.lossLeftOut(), s.difference()));
    System.out.printf(
        "stability T=6: mean %.4e, standard error %.4e%n",
        estimate.mean(), estimate.standardError());
    assertThat(estimate.samples()).allSatisfy(s -> assertThat(s.difference()).isPositive());
    assertThat(estimate.mean()).isPositive().isFinite();
    assertThat(estimate.standardError()).isPositive().isFinite();
    double[] differences =
        estimate.samples().stream().mapToDouble(StabilityEstimate.Sample::difference).toArray();
    assertThat(estimate.mean()).isEqualTo(Arrays.stream(differences).sum() / 4);
  }

  /**
   * Theorem 12's bound L_f² / (µ n) at w_S: L_f and µ recomputed here by autograd on the same probe
   * samples of a trainer trained the same 6 steps (per-sample gradient norms; the mean loss and its
   * gradient over all probes as one batch).
   */
  @Test
  void theTheoremTwelveBoundUsesPerSampleLipschitzAndMuAtTheTrainedWeights() {
    StabilityEstimate.Bound bound = Stability.estimate(RESTORED, 6, 2, 11).bound();
    assertThat(bound.trainingSamples()).isEqualTo(SAMPLES);
    assertThat(bound.probeSamples()).isEqualTo(SAMPLES);
    try (Trainer trainer = RESTORED.get()) {
      trainer.train(16, record -> {});
      int[] probes = ProbeSet.select(trainer.config().seed(), SAMPLES, SAMPLES);
      ProbeObjective objective = trainer.probes(probes, ScalarOutput.LOSS);
      double lipschitz = 0;
      for (int b = 0; b < probes.length; b++) {
        lipschitz = Math.max(lipschitz, Math.sqrt(squaredGradient(objective, b, b + 1)[1]));
      }
      double[] whole = squaredGradient(objective, 0, probes.length);
      double mu = whole[1] / (2 * whole[0]);
      assertThat(bound.lipschitzValue()).isCloseTo(lipschitz, within(1e-5 * lipschitz));
      assertThat(bound.mu()).isCloseTo(mu, within(1e-4 * mu));
      double gamma = lipschitz * lipschitz / (mu * SAMPLES);
      assertThat(bound.gamma()).isCloseTo(gamma, within(1e-3 * gamma));
    }
  }

  /** {loss, ‖∇loss‖²} of probes [from, to) evaluated as one batch. */
  private static double[] squaredGradient(ProbeObjective objective, int from, int to) {
    Collection<NDArray> parameters = objective.model().parameters().arrays();
    Autograd.zeroGradients(parameters);
    try (NDScope scope = new NDScope()) {
      double loss;
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray value = objective.loss(from, to);
        loss = value.getFloat();
        Autograd.backward(value);
      }
      double squares = 0;
      for (NDArray p : parameters) {
        for (float g : p.getGradient().toFloatArray()) {
          squares += (double) g * g;
        }
      }
      Autograd.zeroGradients(parameters);
      return new double[] {loss, squares};
    }
  }

  @Test
  void twoEstimatesAreBitwiseIdentical() {
    assertThat(Stability.estimate(RESTORED, 3, 3, 5))
        .isEqualTo(Stability.estimate(RESTORED, 3, 3, 5));
  }

  /**
   * The k samples are a prefix of one seeded permutation, so more samples under the same seed
   * include the fewer; the shared samples' losses must not depend on which other continuations ran
   * (each starts from a freshly restored trainer, nothing carries over).
   */
  @Test
  void aSamplesFiguresDoNotDependOnTheOtherSamples() {
    StabilityEstimate two = Stability.estimate(RESTORED, 3, 2, 8);
    StabilityEstimate five = Stability.estimate(RESTORED, 3, 5, 8);
    assertThat(five.samples()).containsAll(two.samples());
    int[] leftOut = Stability.leftOutSamples(8, SAMPLES, 5);
    assertThat(leftOut).isSorted().doesNotHaveDuplicates();
    assertThat(leftOut[0]).isNotNegative();
    assertThat(leftOut[4]).isLessThan(SAMPLES);
  }

  @Test
  void refusesToTrainPastTheRunsEnd() {
    assertThatThrownBy(() -> Stability.estimate(RESTORED, 31, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the checkpoint is at step 10 of the run's 40")
        .hasMessageContaining("at most 30");
    assertThatThrownBy(() -> Stability.estimate(RESTORED, 1, SAMPLES + 1, 1))
        .hasMessageContaining("samples must be in 1.." + SAMPLES);
  }
}
