package dev.polyak.prune;

import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.MaskedModel;

/**
 * What an {@link Importance} may look at when a pruning event happens.
 *
 * @param data the scoring samples: a fixed set of training samples prepared as evaluation sees
 *     them, the model in evaluation mode (no dropout, running batch-norm statistics, so scoring
 *     changes nothing in the model). Its {@link ProbeObjective#loss} is the task loss of a range of
 *     samples (what grad-score, SNIP, GraSP and the gate differentiate); its {@link
 *     ProbeObjective#output} the per-sample scalar of the diagnostics kernels (kappa-rank, pl-gate)
 * @param seed the run seed (methods draw their randomness from streams of it)
 * @param event which pruning event of the run this is, from 0 (a method that draws anew at every
 *     event seeks its stream by it)
 * @param step the optimizer steps done when the event happens
 * @param batchSize how many samples a method evaluates as one batch when it goes over {@code data}
 */
public record ScoringContext(ProbeObjective data, long seed, int event, long step, int batchSize) {
  public ScoringContext {
    if (batchSize < 1) {
      throw new IllegalArgumentException("the scoring batch size must be >= 1, got " + batchSize);
    }
  }

  public MaskedModel model() {
    return data.model();
  }

  /** The number of scoring batches: {@code ceil(n / batchSize)}. */
  public int batches() {
    return (data.size() + batchSize - 1) / batchSize;
  }

  /** The first sample of batch {@code b}. */
  public int batchFrom(int b) {
    return b * batchSize;
  }

  /** One past the last sample of batch {@code b}. */
  public int batchTo(int b) {
    return Math.min(data.size(), (b + 1) * batchSize);
  }
}
