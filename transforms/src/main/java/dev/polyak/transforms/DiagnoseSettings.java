package dev.polyak.transforms;

import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.ScalarOutput;
import dev.polyak.nn.Structure;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@link DiagnosticsOptions} in a form a Beam stage can serialize: everything but which structures
 * and whether the whole model, which each unit of work of {@link Diagnose} decides for itself.
 *
 * @param kinds the structure kinds to report
 */
public record DiagnoseSettings(int probeSamples, ScalarOutput output, EnumSet<Structure.Kind> kinds,
    long memoryBudgetBytes, double floor, int hutchinsonProbes, int batchSize, double relativeStep)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public DiagnoseSettings {
    kinds = kinds.clone();
    new DiagnosticsOptions(probeSamples, output, kinds, true, memoryBudgetBytes, floor, hutchinsonProbes, batchSize,
        relativeStep); // validates
  }

  /** The settings of {@code options}. */
  public static DiagnoseSettings of(DiagnosticsOptions options) {
    EnumSet<Structure.Kind> kinds = EnumSet.noneOf(Structure.Kind.class);
    kinds.addAll(options.kinds());
    return new DiagnoseSettings(options.probeSamples(), options.output(), kinds, options.memoryBudgetBytes(),
        options.floor(), options.hutchinsonProbes(), options.batchSize(), options.relativeStep());
  }

  /** The options for {@code reportedKinds}, with or without the whole-model kernel. */
  public DiagnosticsOptions toOptions(Set<Structure.Kind> reportedKinds, boolean wholeModel) {
    return new DiagnosticsOptions(probeSamples, output, reportedKinds, wholeModel, memoryBudgetBytes, floor,
        hutchinsonProbes, batchSize, relativeStep);
  }
}
