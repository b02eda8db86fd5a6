package dev.polyak.diag;

import java.util.List;

/**
 * An empirical pointwise hypothesis stability γ̂ (see {@code dev.polyak.train.Stability}): how much
 * one training sample's own loss depends on whether that sample was trained on.
 *
 * @param fromStep the checkpoint step both continuations started from
 * @param steps optimizer steps T each continuation trained
 * @param seed the seed the left-out samples were drawn with
 * @param samples one entry per left-out sample, in increasing index order
 * @param mean γ̂, the mean of the samples' differences
 * @param standardError the sample standard deviation of the differences over √k (NaN for k = 1)
 * @param bound Theorem 12's bound on γ at the weights w_S trained on the whole split
 */
public record StabilityEstimate(
    long fromStep,
    long steps,
    long seed,
    List<Sample> samples,
    double mean,
    double standardError,
    Bound bound) {

  /**
   * Theorem 12's γ ≤ L_f² / (µ n), from the diagnostics' estimates at w_S on the run's probe set.
   *
   * @param lipschitzValue L_f, the largest per-sample gradient norm over the probe samples
   * @param mu the PL estimate ‖∇L‖² / (2L) of the probe set's mean loss
   * @param probeSamples the probe samples behind both
   * @param trainingSamples n, the size of the training split S
   * @param gamma the bound L_f² / (µ n); +∞ when µ ≤ 0
   */
  public record Bound(
      double lipschitzValue, double mu, int probeSamples, long trainingSamples, double gamma) {
    public static Bound of(
        double lipschitzValue, double mu, int probeSamples, long trainingSamples) {
      return new Bound(
          lipschitzValue,
          mu,
          probeSamples,
          trainingSamples,
          Bounds.stability(lipschitzValue, mu, trainingSamples));
    }
  }

  /**
   * One left-out training sample x_i.
   *
   * @param index its index in the training split
   * @param lossTrainedOn L(w_S; x_i), its loss after training on the whole split S
   * @param lossLeftOut L(w_{S\i}; x_i), its loss after training on S without it
   * @param difference |L(w_S; x_i) − L(w_{S\i}; x_i)|
   */
  public record Sample(int index, double lossTrainedOn, double lossLeftOut, double difference) {}

  public StabilityEstimate {
    samples = List.copyOf(samples);
  }
}
