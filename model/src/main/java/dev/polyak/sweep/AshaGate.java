package dev.polyak.sweep;

import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.HessianEigenvalue;
import dev.polyak.diag.Spectrum;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.RunGate;
import dev.polyak.train.Trainer;
import dev.polyak.train.TrainerDiagnostics;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One run's early stopping in a sweep: at each rung, the decision already recorded for it if there
 * is one (a restarted job never decides a rung twice); else it records its signal in its folder,
 * reads the rung records of its group present now, applies {@link Asha}'s rule, and records the
 * decision ({@link RungLog}).
 *
 * @param plan the sweep's early stopping
 * @param probes the diagnostics settings of the {@code kappa} and {@code pl_ratio} signals (probe
 *     samples, kernel)
 * @param runId this run
 * @param group its group (its config)
 * @param groupRunIds every run of the group in the sweep, this one included
 * @param runFolder {@code <out>/runs/<run_id>}
 * @param metricName the run's eval metric (perplexity or accuracy), for the eval signal's direction
 * @param worker host/pid, recorded with a decision
 */
public record AshaGate(
    EarlyStopping plan,
    DiagnosticsOptions probes,
    String runId,
    String group,
    List<String> groupRunIds,
    Path runFolder,
    String metricName,
    String worker)
    implements RunGate {

  public AshaGate {
    groupRunIds = List.copyOf(groupRunIds);
  }

  @Override
  public boolean stopsAt(long step, Trainer trainer, List<MetricRecord> metrics) {
    if (!plan.isRung(step)) {
      return false;
    }
    Path sweep = runFolder.getParent().getParent();
    Optional<RungLog.Decision> decided = RungLog.decision(sweep, step, runId);
    if (decided.isPresent()) {
      return !decided.get().continues();
    }
    double value =
        RungLog.rung(runFolder, step)
            .map(RungLog.RungRecord::value)
            .orElseGet(
                () -> {
                  double measured = signal(plan.signal(), step, trainer, metrics, probes);
                  RungLog.writeRung(
                      runFolder,
                      new RungLog.RungRecord(
                          runId,
                          group,
                          step,
                          plan.signal().id(),
                          measured,
                          System.currentTimeMillis()));
                  return measured;
                });
    List<Asha.Entry> seen =
        groupRunIds.stream()
            .map(id -> RungLog.rung(runFolder.resolveSibling(id), step))
            .flatMap(Optional::stream)
            .map(r -> new Asha.Entry(r.runId(), r.value()))
            .sorted(Comparator.comparing(Asha.Entry::runId))
            .toList();
    Asha.Verdict verdict =
        Asha.decide(runId, seen, plan.reduction(), plan.signal().lowerIsBetter(metricName));
    RungLog.Decision recorded =
        RungLog.recordOnce(
            sweep,
            new RungLog.Decision(
                runId,
                group,
                step,
                plan.signal().id(),
                value,
                verdict.continues(),
                verdict.rank(),
                verdict.compared(),
                verdict.kept(),
                plan.reduction(),
                seen,
                System.currentTimeMillis(),
                worker));
    return !recorded.continues();
  }

  /**
   * A run's signal at {@code step}: its eval metric there, or the whole-model κ of the function
   * kernel, or ‖∇L‖²/L, on the probe set its seed chooses (no Hessian trace, no β).
   */
  static double signal(
      EarlyStopping.Signal signal,
      long step,
      Trainer trainer,
      List<MetricRecord> metrics,
      DiagnosticsOptions probes) {
    DiagnosticsOptions cheap =
        probes
            .withHutchinsonProbes(0)
            .withSmoothness(
                new HessianEigenvalue.Settings(
                    HessianEigenvalue.Settings.DEFAULT_TOLERANCE, 0, false));
    return switch (signal) {
      case EVAL ->
          metrics.stream()
              .filter(r -> r.step() == step)
              .reduce((first, second) -> second)
              .orElseThrow(
                  () -> new IllegalStateException("no evaluation record at rung step " + step))
              .evalMetric();
      case KAPPA -> {
        Spectrum whole = TrainerDiagnostics.run(trainer, cheap.withKinds(Set.of(), true)).whole();
        yield whole.conditionNumber();
      }
      case PL_RATIO -> TrainerDiagnostics.conditioning(trainer, cheap).plRatio();
    };
  }
}
