package dev.polyak.train;

import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ProbeSet;

/**
 * {@link Diagnostics} of a trainer's current state, on the probe set its run's seed chooses from
 * the training split ({@link ProbeSet}). The weights are left exactly as they were; gradients are
 * left zero.
 */
public final class TrainerDiagnostics {
  private TrainerDiagnostics() {}

  public static DiagnosticsReport run(Trainer trainer, DiagnosticsOptions options) {
    long seed = trainer.config().seed();
    int[] probes = probes(trainer, options);
    return Diagnostics.run(
        trainer.probes(probes, options.kernel()), probes, trainer.step(), seed, options);
  }

  /**
   * The whole-model estimates only (loss, gradient norms, µ, L_f and, unless the options skip them,
   * the Hessian trace and β), without any kernel: the report's conditioning, on the same probe set
   * as {@link #run}.
   */
  public static DiagnosticsReport.Conditioning conditioning(
      Trainer trainer, DiagnosticsOptions options) {
    DiagnosticsOptions modelOnly = options.withKinds(java.util.Set.of(), false);
    long seed = trainer.config().seed();
    int[] probes = probes(trainer, modelOnly);
    ProbeObjective objective = trainer.probes(probes, KernelKind.LOSS);
    return Diagnostics.assemble(
            Diagnostics.Layout.of(trainer.model()),
            probes,
            trainer.step(),
            seed,
            modelOnly,
            java.util.List.of(),
            Diagnostics.model(objective, modelOnly, seed))
        .conditioning();
  }

  /** The probe samples a trainer's diagnostics use. */
  public static int[] probes(Trainer trainer, DiagnosticsOptions options) {
    return ProbeSet.select(trainer.config().seed(), trainer.trainSize(), options.probeSamples());
  }
}
