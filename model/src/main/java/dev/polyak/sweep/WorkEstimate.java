package dev.polyak.sweep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * How much training a sweep asks for, for {@code --dry-run}: training steps only (no diagnostics,
 * no evaluation), priced with {@link StepCosts} at each preset's default size and batch, so a sweep
 * that shrinks its models with {@code model_options} costs less than estimated.
 *
 * @param cells the runs
 * @param totalSteps training steps over all runs
 * @param stepsPerModel training steps per model preset, in the order presets first appear
 * @param estimatedCpuHours hours of one core at the dev machine's speed; NaN when a preset has no
 *     measured step time
 */
public record WorkEstimate(
    int cells, long totalSteps, Map<String, Long> stepsPerModel, double estimatedCpuHours) {

  public WorkEstimate {
    stepsPerModel = Collections.unmodifiableMap(new LinkedHashMap<>(stepsPerModel));
  }

  static WorkEstimate of(List<Cell> cells) {
    Map<String, Long> steps = new LinkedHashMap<>();
    for (Cell cell : cells) {
      steps.merge(cell.model(), cell.spec().training().steps(), Long::sum);
    }
    double hours = 0;
    for (Map.Entry<String, Long> e : steps.entrySet()) {
      hours += hours(e.getKey(), e.getValue()).orElse(Double.NaN);
    }
    return new WorkEstimate(
        cells.size(), steps.values().stream().mapToLong(Long::longValue).sum(), steps, hours);
  }

  /** A few lines: the cells and steps, each model's steps and hours, and the total. */
  public String describe() {
    StringBuilder text =
        new StringBuilder(
            String.format(Locale.ROOT, "%d cells, %,d training steps\n", cells, totalSteps));
    stepsPerModel.forEach(
        (model, steps) -> {
          OptionalDouble hours = hours(model, steps);
          text.append(
              String.format(
                  Locale.ROOT,
                  "  %-12s %,14d steps  %s\n",
                  model,
                  steps,
                  hours.isPresent()
                      ? String.format(Locale.ROOT, "%,.1f CPU hours", hours.getAsDouble())
                      : "no estimate"));
        });
    text.append(
        Double.isNaN(estimatedCpuHours)
            ? "no estimate in all: a model has no measured step time"
            : String.format(
                Locale.ROOT,
                "about %,.1f CPU hours in all (one core of the dev machine, training only)",
                estimatedCpuHours));
    return text.append("\n").toString();
  }

  private static OptionalDouble hours(String model, long steps) {
    OptionalDouble millis = StepCosts.millisPerStep(model);
    return millis.isPresent()
        ? OptionalDouble.of(steps * millis.getAsDouble() / 3_600_000)
        : OptionalDouble.empty();
  }
}
