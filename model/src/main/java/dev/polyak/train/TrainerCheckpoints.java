package dev.polyak.train;

import ai.djl.ndarray.NDArray;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Masks;
import dev.polyak.nn.WeightMasks;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Moves a trainer's whole state into a {@link Checkpoint} and back: weights and buffers (batch-norm
 * running statistics), optimizer state, masks (structure masks and weight-level masks) and the
 * step. The random streams need no cursor of their own: the data order, the masking and
 * augmentation positions and the dropout masks are functions of the step (see {@link Trainer}).
 */
public final class TrainerCheckpoints {
  /**
   * The name prefix of a weight-level mask among a checkpoint's masks ({@code masks/weight/<name>}
   * in the file, {@code mask/weight/<name>} in an export); only weights with a removed element are
   * written, so a run without weight pruning writes none. The structure masks are {@code layer<l>}.
   */
  public static final String WEIGHT_MASK_PREFIX = "weight/";

  private TrainerCheckpoints() {}

  public static Checkpoint capture(
      Trainer trainer, String runSpecJson, String metricsJson, boolean pruning) {
    return capture(trainer, runSpecJson, metricsJson, pruning, Map.of());
  }

  /** {@link #capture} with the pruner's state between events ({@link Pruner#state}). */
  public static Checkpoint capture(
      Trainer trainer,
      String runSpecJson,
      String metricsJson,
      boolean pruning,
      Map<String, Tensor> prunerState) {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    trainer
        .model()
        .parameters()
        .state()
        .forEach(
            (name, array) ->
                weights.put(
                    name, Tensor.ofFloats(array.toFloatArray(), array.getShape().getShape())));
    Map<String, Tensor> optimizer = new LinkedHashMap<>();
    trainer
        .optimizer()
        .state()
        .forEach((name, values) -> optimizer.put(name, Tensor.ofFloats(values, values.length)));
    Map<String, Tensor> masks = new LinkedHashMap<>();
    Masks m = trainer.model().masks();
    for (int l = 0; l < m.layers(); l++) {
      masks.put("layer" + l, Tensor.ofFloats(m.layer(l), m.size(l)));
    }
    WeightMasks weightMasks = trainer.model().weightMasks();
    weightMasks
        .pruned()
        .forEach(
            (name, mask) ->
                masks.put(
                    WEIGHT_MASK_PREFIX + name, Tensor.ofFloats(mask, weightMasks.shape(name))));
    return Checkpoint.builder()
        .setStep(trainer.step())
        .setWeights(weights)
        .setRunSpecJson(runSpecJson)
        .optOptimizerState(optimizer)
        .optMasks(masks)
        .optMetricsJson(metricsJson)
        .optPruning(pruning)
        .optPrunerState(prunerState)
        .build();
  }

  public static void restore(Trainer trainer, Checkpoint checkpoint) {
    restoreWeightsAndOptimizer(trainer, checkpoint);
    Masks m = trainer.model().masks();
    for (int l = 0; l < m.layers(); l++) {
      float[] values = checkpoint.masks().get("layer" + l).floats();
      for (int i = 0; i < values.length; i++) {
        m.set(l, i, values[i] != 0f);
      }
    }
    WeightMasks weightMasks = trainer.model().weightMasks();
    weightMasks.keepAll();
    checkpoint
        .masks()
        .forEach(
            (name, tensor) -> {
              if (name.startsWith(WEIGHT_MASK_PREFIX)) {
                weightMasks.set(name.substring(WEIGHT_MASK_PREFIX.length()), tensor.floats());
              }
            });
    trainer.seekStep(checkpoint.step());
  }

  /**
   * Sets the weights, buffers and optimizer state from {@code checkpoint} and leaves the masks and
   * the step as they are: lottery-ticket rewinding.
   */
  public static void restoreWeightsAndOptimizer(Trainer trainer, Checkpoint checkpoint) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, NDArray> e : trainer.model().parameters().state().entrySet()) {
        Tensor t = checkpoint.weights().get(e.getKey());
        if (t == null) {
          throw new IllegalArgumentException(
              "checkpoint at step " + checkpoint.step() + " has no weight " + e.getKey());
        }
        dev.polyak.nn.Parameters.overwrite(e.getValue(), t.floats());
      }
    }
    Map<String, float[]> state = new LinkedHashMap<>();
    checkpoint.optimizerState().forEach((name, tensor) -> state.put(name, tensor.floats()));
    trainer.optimizer().load(state, trainer.model().parameters());
  }
}
