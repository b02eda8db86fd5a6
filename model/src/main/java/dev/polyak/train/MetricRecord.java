package dev.polyak.train;

/**
 * One evaluation of a training run: what the sweep will emit per (run, step).
 *
 * @param step optimizer steps done
 * @param trainLoss mean training loss since the previous record
 * @param evalLoss mean loss on the held-out split
 * @param evalMetric perplexity (language modelling) or accuracy (classification) on the held-out
 *     split
 * @param learningRate the rate of the last step
 * @param stepMillis mean wall time of a training step since the previous record
 * @param keptParameters parameters still active under the masks
 */
public record MetricRecord(
    long step,
    double trainLoss,
    double evalLoss,
    double evalMetric,
    double learningRate,
    double stepMillis,
    long keptParameters) {}
