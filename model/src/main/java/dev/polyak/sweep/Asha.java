package dev.polyak.sweep;

import java.util.Comparator;
import java.util.List;

/**
 * ASHA's asynchronous rule at one rung (Li et al. 2020, "A System for Massively Parallel
 * Hyperparameter Tuning"), as a stopping rule: a run that has just reached a rung goes on if it
 * ranks in the best ⌈n/η⌉ of the n runs of its group whose records at that rung exist now, itself
 * included; nobody waits for stragglers. The first run at a rung always goes on (⌈1/η⌉ = 1).
 *
 * <p>A run's rank is 1 + the number of runs with a strictly better value, so tied runs share a rank
 * (and go on or stop together). A value that is not finite (NaN, ±∞: a diverged loss, a singular
 * kernel) is worse than every finite value; among themselves non-finite values tie.
 */
public final class Asha {
  private Asha() {}

  /** One run's signal at a rung. */
  public record Entry(String runId, double value) {}

  /**
   * The rule's verdict on one run.
   *
   * @param continues whether the run goes on past the rung
   * @param rank its rank among {@code compared} runs (1 = best)
   * @param compared n, the runs with a record at the rung when it was decided, itself included
   * @param kept ⌈n/η⌉, how many of them the rule keeps
   */
  public record Verdict(boolean continues, int rank, int compared, int kept) {}

  /**
   * The verdict on {@code runId} among {@code seen} (which must hold its own entry).
   *
   * @param reduction η, above 1
   * @param lowerIsBetter the signal's direction
   */
  public static Verdict decide(
      String runId, List<Entry> seen, double reduction, boolean lowerIsBetter) {
    Entry self =
        seen.stream()
            .filter(e -> e.runId().equals(runId))
            .findFirst()
            .orElseThrow(
                () -> new IllegalArgumentException("run " + runId + " has no record at the rung"));
    Comparator<Double> better = betterFirst(lowerIsBetter);
    int rank = 1;
    for (Entry e : seen) {
      if (better.compare(e.value(), self.value()) < 0) {
        rank++;
      }
    }
    int n = seen.size();
    int kept = (int) Math.ceil(n / reduction - 1e-9);
    kept = Math.max(1, kept);
    return new Verdict(rank <= kept, rank, n, kept);
  }

  /** Orders values best first: finite ones by direction, then every non-finite one (tied). */
  static Comparator<Double> betterFirst(boolean lowerIsBetter) {
    return (a, b) -> {
      boolean fa = Double.isFinite(a);
      boolean fb = Double.isFinite(b);
      if (fa != fb) {
        return fa ? -1 : 1;
      }
      if (!fa) {
        return 0;
      }
      return lowerIsBetter ? Double.compare(a, b) : Double.compare(b, a);
    };
  }
}
