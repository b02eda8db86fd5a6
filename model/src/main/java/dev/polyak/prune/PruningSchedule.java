package dev.polyak.prune;

import dev.polyak.RunFileException;

/**
 * When to prune and how many structures to keep: pure functions from the optimizer step to the
 * target number of kept structures out of {@code p} in the pruning scope. Pruning happens at epoch
 * boundaries (step = epoch × stepsPerEpoch) or, for {@link OneShot}, at a given step.
 *
 * <p><b>Rounding.</b> Keeping a fraction 1 − r of p structures keeps {@code k = p − floor(r·p)}:
 * the number pruned is rounded down, so a schedule never prunes more than the ratio asks (p = 12, r
 * = 0.5: k = 6; p = 7, r = 0.5: k = 4; p = 4, r = 0.3: k = 3). A tolerance of 1e-9 absorbs the
 * binary representation of ratios such as 0.3 · 10.
 */
public sealed interface PruningSchedule {
  /** The kept count after pruning ratio {@code r} of {@code p} structures. */
  static int kept(int p, double ratio) {
    checkRatio("ratio", ratio);
    return p - (int) Math.floor(ratio * p + 1e-9);
  }

  /** Refuses a ratio outside [0, 1], naming the run file's {@code pruning.<key>}. */
  private static void checkRatio(String key, double ratio) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new RunFileException(
          "pruning." + key, "a pruning ratio must be in [0, 1], got " + ratio);
    }
  }

  /** The schedule as a run file writes it: {@code type} and its keys, in that order. */
  java.util.Map<String, Object> fields();

  /**
   * The number of structures to keep once step {@code step} has been taken (non-increasing in
   * step).
   */
  int keptAfter(long step, int p, long stepsPerEpoch);

  /** The ratio pruned in the end. */
  double finalRatio();

  /**
   * The same schedule ending at ratio {@code ratio}: what one layer follows under a table of layer
   * ratios.
   */
  PruningSchedule withFinalRatio(double ratio);

  /**
   * Whether pruning happens after step {@code step} (at step 0: before training, at
   * initialisation): the kept count drops there.
   */
  default boolean prunesAt(long step, int p, long stepsPerEpoch) {
    int before = step == 0 ? p : keptAfter(step - 1, p, stepsPerEpoch);
    return step >= 0 && keptAfter(step, p, stepsPerEpoch) < before;
  }

  /**
   * Prune ratio r of the structures at step t, once; t = 0 prunes at initialisation (SNIP, GraSP).
   */
  record OneShot(long step, double ratio) implements PruningSchedule {
    public OneShot {
      if (step < 0) {
        throw new RunFileException(
            "pruning.step", "a one-shot pruning step must be at least 0, got " + step);
      }
      checkRatio("ratio", ratio);
    }

    @Override
    public java.util.Map<String, Object> fields() {
      return ordered("one-shot", "step", step, "ratio", ratio);
    }

    @Override
    public int keptAfter(long s, int p, long stepsPerEpoch) {
      return s >= step ? kept(p, ratio) : p;
    }

    @Override
    public double finalRatio() {
      return ratio;
    }

    @Override
    public PruningSchedule withFinalRatio(double r) {
      return new OneShot(step, r);
    }
  }

  /**
   * From epoch {@code startEpoch} to {@code endEpoch} (inclusive), prune the same number of
   * structures at the end of every epoch, so that the final ratio is reached at the end of {@code
   * endEpoch}: after epoch e the cumulative number pruned is floor(total · (e − start + 1) / N),
   * with total = floor(finalRatio · p) and N = endEpoch − startEpoch + 1 (equal steps up to one).
   */
  record Linear(int startEpoch, int endEpoch, double finalRatio) implements PruningSchedule {
    public Linear {
      if (startEpoch < 0 || endEpoch < startEpoch) {
        throw new RunFileException(
            startEpoch < 0 ? "pruning.start_epoch" : "pruning.end_epoch",
            "linear pruning needs 0 <= start_epoch <= end_epoch, got "
                + startEpoch
                + ".."
                + endEpoch);
      }
      checkRatio("final_ratio", finalRatio);
    }

    @Override
    public java.util.Map<String, Object> fields() {
      return ordered(
          "linear", "start_epoch", startEpoch, "end_epoch", endEpoch, "final_ratio", finalRatio);
    }

    @Override
    public PruningSchedule withFinalRatio(double r) {
      return new Linear(startEpoch, endEpoch, r);
    }

    @Override
    public int keptAfter(long step, int p, long stepsPerEpoch) {
      long epochsDone = step / checkEpoch(stepsPerEpoch);
      long done = Math.min(epochsDone - startEpoch, endEpoch - startEpoch + 1L);
      if (done <= 0) {
        return p;
      }
      int total = p - kept(p, finalRatio);
      return p - (int) (total * done / (endEpoch - startEpoch + 1L));
    }
  }

  /**
   * Every {@code everyEpochs} epochs prune {@code fraction} of the structures still kept (rounded
   * down, at least one per event while above the floor), never below the kept count of {@code
   * finalRatio} of p: the iterative magnitude-pruning rhythm of lottery-ticket experiments.
   */
  record Iterative(int everyEpochs, double fraction, double finalRatio) implements PruningSchedule {
    public Iterative {
      if (everyEpochs < 1 || !(fraction > 0 && fraction < 1)) {
        throw new RunFileException(
            everyEpochs < 1 ? "pruning.every_epochs" : "pruning.fraction",
            "iterative pruning needs every_epochs >= 1 and 0 < fraction < 1, got "
                + everyEpochs
                + " and "
                + fraction);
      }
      checkRatio("final_ratio", finalRatio);
    }

    @Override
    public java.util.Map<String, Object> fields() {
      return ordered(
          "iterative",
          "every_epochs",
          everyEpochs,
          "fraction",
          fraction,
          "final_ratio",
          finalRatio);
    }

    @Override
    public PruningSchedule withFinalRatio(double r) {
      return new Iterative(everyEpochs, fraction, r);
    }

    @Override
    public int keptAfter(long step, int p, long stepsPerEpoch) {
      long events = step / checkEpoch(stepsPerEpoch) / everyEpochs;
      int floor = kept(p, finalRatio);
      int k = p;
      for (long e = 0; e < events && k > floor; e++) {
        k = Math.max(floor, k - Math.max(1, (int) Math.floor(fraction * k + 1e-9)));
      }
      return k;
    }
  }

  private static java.util.Map<String, Object> ordered(String type, Object... keysAndValues) {
    java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
    fields.put("type", type);
    for (int i = 0; i < keysAndValues.length; i += 2) {
      fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return fields;
  }

  private static long checkEpoch(long stepsPerEpoch) {
    if (stepsPerEpoch < 1) {
      throw new IllegalArgumentException(
          "steps per epoch must be at least 1, got " + stepsPerEpoch);
    }
    return stepsPerEpoch;
  }
}
