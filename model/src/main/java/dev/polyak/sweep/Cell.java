package dev.polyak.sweep;

import dev.polyak.train.RunSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One cell of a sweep: one training run.
 *
 * @param runId {@code spec.runId()}: the run's identity, and its folder's name
 * @param config the labels but the seed, as {@code key=value} joined by spaces in axis order
 *     ({@code model=bert-tiny method=pl-gate ratio=0.5}): runs of one config differ only in seed
 * @param baseline the config without the pruning axes (method, ratio): the key of the dense run it
 *     is compared with, whose own baseline it equals ({@code model=bert-tiny})
 * @param labels every axis's value in this cell as text, in axis order, the seed included; a dense
 *     cell has no ratio
 * @param seed the run's seed
 * @param method the pruning method's name ({@code dense} for no pruning; a labelled variant such as
 *     {@code pl-gate-a0.5} is {@code pl-gate} here and in the labels under its label)
 * @param ratio the fraction of the scope pruned in the end (one-shot ratio or final ratio), 0 for
 *     dense
 * @param model the model preset
 * @param runYaml the cell's run file, data paths absolute: what {@code polyak train --config} reads
 * @param spec {@code RunSpec.parse(runYaml, null)}
 */
public record Cell(
    String runId,
    String config,
    String baseline,
    Map<String, String> labels,
    long seed,
    String method,
    double ratio,
    String model,
    String runYaml,
    RunSpec spec) {

  public Cell {
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
  }
}
