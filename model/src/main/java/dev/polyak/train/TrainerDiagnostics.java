package dev.polyak.train;

import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.ProbeSet;

/**
 * {@link Diagnostics} of a trainer's current state, on the probe set its run's seed chooses from the
 * training split ({@link ProbeSet}). The weights are left exactly as they were; gradients are left
 * zero.
 */
public final class TrainerDiagnostics {
  private TrainerDiagnostics() {}

  public static DiagnosticsReport run(Trainer trainer, DiagnosticsOptions options) {
    long seed = trainer.config().seed();
    int[] probes = probes(trainer, options);
    return Diagnostics.run(trainer.probes(probes, options.kernel()), probes, trainer.step(), seed, options);
  }

  /** The probe samples a trainer's diagnostics use. */
  public static int[] probes(Trainer trainer, DiagnosticsOptions options) {
    return ProbeSet.select(trainer.config().seed(), trainer.trainSize(), options.probeSamples());
  }
}
