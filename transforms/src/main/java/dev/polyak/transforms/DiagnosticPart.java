package dev.polyak.transforms;

import dev.polyak.diag.Diagnostics;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What one task of {@link Diagnose} computed for one checkpoint: the kernels of one layer's
 * structures, or the model part together with what assembly needs to know about the run.
 *
 * @param layout set by the model task only
 */
record DiagnosticPart(String runId, long step, long seed, int[] probes, Diagnostics.@Nullable Layout layout,
    Diagnostics.@Nullable StructurePart structures, Diagnostics.@Nullable ModelPart model) implements Serializable {
  private static final long serialVersionUID = 1L;
}
