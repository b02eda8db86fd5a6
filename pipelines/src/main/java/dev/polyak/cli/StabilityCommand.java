package dev.polyak.cli;

import ai.djl.Device;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.diag.StabilityEstimate;
import dev.polyak.train.SavedRun;
import dev.polyak.train.Stability;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak stability}: the empirical pointwise hypothesis stability of a trained run. */
@Command(
    name = "stability",
    description = {
      "Estimate the empirical pointwise hypothesis stability of a run.",
      "From one of its checkpoints, continue training --steps steps on the whole training split and, for each of"
          + " --samples sampled training examples x_i, on the split without x_i; print each"
          + " |L(w_S; x_i) - L(w_S\\i; x_i)| and their mean with its standard error, beside Theorem 12's bound"
          + " gamma <= L_f^2 / (mu n) (L_f the largest per-sample gradient norm and mu = |grad L|^2 / 2L on the run's"
          + " probe samples at the weights trained on the whole split, n the split's size). Costs 1 + samples"
          + " continuations."
    })
final class StabilityCommand implements Callable<Integer> {
  @Option(
      names = "--run",
      required = true,
      description = "A run folder written by polyak train (run.json, checkpoints/).")
  Path run;

  @Option(
      names = "--checkpoint-step",
      description =
          "Start from the checkpoint at this step (default: the newest"
              + " valid one that leaves room for --steps more steps within the run).")
  Long checkpointStep;

  @Option(
      names = "--steps",
      required = true,
      description = "Training steps T of each continuation.")
  long steps;

  @Option(
      names = "--samples",
      defaultValue = "8",
      description = "Training examples k left out, one at a time" + " (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(
      names = "--seed",
      description = "Seed of the choice of left-out examples (default: the run's seed).")
  Long seed;

  @Mixin EngineMixin engine;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (steps < 0) {
      throw new IllegalArgumentException("--steps must be >= 0, got " + steps);
    }
    Device target = engine.apply();
    SavedRun saved = SavedRun.open(run);
    Checkpoint checkpoint = startingCheckpoint(saved);
    long chosenSeed = seed != null ? seed : saved.spec().training().seed();
    PrintWriter console = spec.commandLine().getOut();
    console.printf(
        "run %s: %s, checkpoint at step %d of %d; %d steps with and without each of %d samples (seed %d)%n",
        saved.spec().runId(),
        saved.spec().model(),
        checkpoint.step(),
        saved.spec().training().steps(),
        steps,
        samples,
        chosenSeed);
    console.flush();
    StabilityEstimate estimate =
        Stability.estimate(() -> saved.restore(checkpoint, target), steps, samples, chosenSeed);
    console.printf("%8s  %12s  %12s  %12s%n", "sample", "L(w_S)", "L(w_S\\i)", "|difference|");
    for (StabilityEstimate.Sample s : estimate.samples()) {
      console.printf(
          "%8d  %12.6f  %12.6f  %12.4e%n",
          s.index(), s.lossTrainedOn(), s.lossLeftOut(), s.difference());
    }
    console.printf(
        "stability: %.4e +- %.4e (mean |difference| +- standard error, %d samples, %d steps from step %d)%n",
        estimate.mean(),
        estimate.standardError(),
        estimate.samples().size(),
        estimate.steps(),
        estimate.fromStep());
    StabilityEstimate.Bound bound = estimate.bound();
    console.printf(
        Locale.ROOT,
        "Theorem 12 bound: gamma <= L_f^2 / (mu n) = %.4e with L_f %.6g (largest per-sample gradient norm)"
            + " and mu %.6g (|grad L|^2 / 2L), both on %d probe samples at w_S (step %d), n = %d training samples%n",
        bound.gamma(),
        bound.lipschitzValue(),
        bound.mu(),
        bound.probeSamples(),
        estimate.fromStep() + estimate.steps(),
        bound.trainingSamples());
    console.flush();
    return 0;
  }

  private Checkpoint startingCheckpoint(SavedRun saved) {
    Path folder = saved.checkpoints().folder();
    long runSteps = saved.spec().training().steps();
    if (checkpointStep != null) {
      return saved
          .latestValid(checkpointStep)
          .filter(c -> c.step() == checkpointStep)
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "no valid checkpoint at step " + checkpointStep + " in " + folder));
    }
    return saved
        .latestValid(runSteps - steps)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    saved.latestValid(Long.MAX_VALUE).isEmpty()
                        ? "no valid checkpoint in " + folder
                        : "no valid checkpoint in "
                            + folder
                            + " at step "
                            + (runSteps - steps)
                            + " or before, which "
                            + steps
                            + " more steps need (the run has "
                            + runSteps
                            + " steps); use fewer --steps"));
  }
}
