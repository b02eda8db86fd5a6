package dev.polyak.train;

import ai.djl.ndarray.NDScope;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.diag.SeedSpread;
import dev.polyak.diag.StabilityEstimate;
import dev.polyak.nn.Autograd;
import dev.polyak.random.RandomStreams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Empirical pointwise hypothesis stability γ̂ = mean over k samples i of |L(w_S; x_i) − L(w_{S\i};
 * x_i)|: from one checkpoint, training continues T steps on the whole split S (once) and, for each
 * of k sampled training samples x_i, T steps on S without x_i ({@link Trainer#excludeSample}); L(w;
 * x_i) is x_i's own loss evaluated alone in evaluation mode ({@link ScalarOutput#LOSS} of {@link
 * Trainer#probes}). Everything else is seeded as the run is, so two continuations differ only by
 * the left-out sample and the data order that its absence implies.
 *
 * <p>The k samples are the first k of a permutation of the split drawn from the "stability" stream
 * of {@code seed} ({@link RandomStreams#STABILITY}), sorted: a stream of its own, so they are not
 * the probe samples of the same seed. The cost is 1 + k continuations of T steps, each in a trainer
 * of its own that is closed when done.
 *
 * <p>Beside γ̂ it gives Theorem 12's bound γ ≤ L_f² / (µ n) with n the training split's size and
 * L_f (largest per-sample gradient norm) and µ (‖∇L‖² / 2L) estimated at w_S, the weights after the
 * whole-split continuation, on the run's diagnostic probe set ({@link
 * TrainerDiagnostics#conditioning}, default probe count, no kernels, traces or β).
 */
public final class Stability {
  private static final TrainingListener QUIET = record -> {};

  private Stability() {}

  /**
   * @param restored builds a fresh trainer restored to the starting checkpoint; called 1 + k times
   * @param steps T, optimizer steps per continuation; 0 gives γ̂ = 0 exactly
   * @param samples k, the number of left-out samples
   * @param seed the seed the left-out samples are drawn with
   * @throws IllegalArgumentException if T steps from the checkpoint go past the run's last step, or
   *     k is not in 1..n
   */
  public static StabilityEstimate estimate(
      Supplier<? extends Trainer> restored, long steps, int samples, long seed) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
    int[] indices;
    double[] trainedOn;
    long from;
    StabilityEstimate.Bound bound;
    try (Trainer whole = restored.get()) {
      from = whole.step();
      long runSteps = whole.config().steps();
      if (from + steps > runSteps) {
        throw new IllegalArgumentException(
            "the checkpoint is at step "
                + from
                + " of the run's "
                + runSteps
                + "; "
                + steps
                + " more steps would go past its end (at most "
                + (runSteps - from)
                + ")");
      }
      indices = leftOutSamples(seed, whole.trainSize(), samples);
      whole.train(from + steps, QUIET);
      trainedOn = ownLosses(whole, indices);
      bound = bound(whole);
    }
    List<StabilityEstimate.Sample> results = new ArrayList<>();
    double[] differences = new double[indices.length];
    for (int s = 0; s < indices.length; s++) {
      double leftOut;
      try (Trainer without = restored.get()) {
        if (without.step() != from) {
          throw new IllegalStateException(
              "the restored trainers disagree on the step: " + from + " and " + without.step());
        }
        without.excludeSample(indices[s]);
        without.train(from + steps, QUIET);
        leftOut = ownLosses(without, new int[] {indices[s]})[0];
      }
      differences[s] = Math.abs(trainedOn[s] - leftOut);
      results.add(new StabilityEstimate.Sample(indices[s], trainedOn[s], leftOut, differences[s]));
    }
    double mean = SeedSpread.mean(differences);
    double standardError =
        SeedSpread.sampleStandardDeviation(differences, mean) / Math.sqrt(differences.length);
    return new StabilityEstimate(from, steps, seed, results, mean, standardError, bound);
  }

  /** Theorem 12's bound at the trainer's weights, on its diagnostic probe set. */
  private static StabilityEstimate.Bound bound(Trainer trainer) {
    DiagnosticsOptions options =
        DiagnosticsOptions.defaults()
            .withProbeSamples(
                Math.max(
                    2, Math.min(DiagnosticsOptions.DEFAULT_PROBE_SAMPLES, trainer.trainSize())))
            .withHutchinsonProbes(0)
            .withSmoothness(
                new HessianEigenvalue.Settings(
                    HessianEigenvalue.Settings.DEFAULT_TOLERANCE, 0, false));
    DiagnosticsReport.Conditioning c = TrainerDiagnostics.conditioning(trainer, options);
    return StabilityEstimate.Bound.of(
        c.lipschitzValue(), c.mu(), options.probeSamples(), trainer.trainSize());
  }

  /**
   * The k left-out samples: the first k of a permutation of 0..n-1 from the "stability" stream,
   * sorted.
   */
  public static int[] leftOutSamples(long seed, int population, int samples) {
    if (samples < 1 || samples > population) {
      throw new IllegalArgumentException(
          "samples must be in 1.." + population + " (the training split's size), got " + samples);
    }
    int[] chosen =
        Arrays.copyOf(
            new RandomStreams(seed).stream(RandomStreams.STABILITY).permutation(population),
            samples);
    Arrays.sort(chosen);
    return chosen;
  }

  /** Each sample's own loss, evaluated alone with recording off. */
  private static double[] ownLosses(Trainer trainer, int[] samples) {
    ProbeObjective objective = trainer.probes(samples, ScalarOutput.LOSS);
    double[] losses = new double[samples.length];
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int b = 0; b < samples.length; b++) {
        try (NDScope scope = new NDScope()) {
          losses[b] = objective.output(b).getFloat();
        }
      }
    }
    return losses;
  }
}
