package dev.polyak.train;

import ai.djl.ndarray.NDArray;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Compaction;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Masks;
import dev.polyak.nn.WeightMasks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves a trainer's whole state into a {@link Checkpoint} and back: weights and buffers (batch-norm
 * running statistics), optimizer state, masks (structure masks and weight-level masks) and the
 * step. The random streams need no cursor of their own: the data order, the masking and
 * augmentation positions and the dropout masks are functions of the step (see {@link Trainer}).
 */
public final class TrainerCheckpoints {
  /** {@link Checkpoint#WEIGHT_MASK_PREFIX}. */
  public static final String WEIGHT_MASK_PREFIX = Checkpoint.WEIGHT_MASK_PREFIX;

  /** {@link Checkpoint#COMPACTION_PREFIX}; see {@link Compaction#encode}. */
  public static final String COMPACTION_PREFIX = Checkpoint.COMPACTION_PREFIX;

  /** Whether checkpoint mask {@code name} is a structure mask group ({@code layer<l>}). */
  public static boolean isStructureMask(String name) {
    return !name.startsWith(WEIGHT_MASK_PREFIX) && !name.startsWith(COMPACTION_PREFIX);
  }

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
    Compaction compaction = trainer.model().compaction();
    if (!compaction.isIdentity()) {
      for (int l = 0; l < compaction.groups(); l++) {
        masks.put(
            COMPACTION_PREFIX + "layer" + l, Tensor.ofFloats(compaction.encode(l), m.size(l)));
      }
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
    Compaction saved = compaction(trainer.model(), checkpoint);
    if (!saved.equals(trainer.model().compaction())) {
      TrainerCompaction.compact(trainer, saved);
    }
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
   * the step as they are: lottery-ticket rewinding. A checkpoint compacted less than the model (the
   * rewind point, written before the events) has its tensors cut to the model's compaction.
   */
  public static void restoreWeightsAndOptimizer(Trainer trainer, Checkpoint checkpoint) {
    MaskedModel model = trainer.model();
    Compaction compaction = compaction(model, checkpoint);
    List<Compaction.Cut> cuts =
        compaction.equals(model.compaction())
            ? List.of()
            : compaction.cuts(
                model.structuresWithBuffers(),
                model.compaction(),
                name -> checkpoint.weight(name).shape());
    Map<String, float[]> saves = new LinkedHashMap<>();
    for (String name : model.parameters().state().keySet()) {
      saves.put(name, checkpoint.weight(name).floats());
    }
    Map<String, float[]> weights =
        Compaction.apply(cuts, saves, name -> name, name -> checkpoint.weight(name).shape());
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, NDArray> e : model.parameters().state().entrySet()) {
        dev.polyak.nn.Parameters.overwrite(e.getValue(), weights.get(e.getKey()));
      }
    }
    Map<String, float[]> saved = new LinkedHashMap<>();
    checkpoint.optimizerState().forEach((name, tensor) -> saved.put(name, tensor.floats()));
    java.util.Set<String> names = model.parameters().state().keySet();
    Map<String, float[]> state =
        Compaction.apply(
            cuts,
            saved,
            name -> TrainerCompaction.parameterOf(name, names),
            name -> checkpoint.weight(name).shape());
    trainer.optimizer().load(state, model.parameters());
  }

  /**
   * The compaction {@code checkpoint}'s tensors are at: its recorded map, or none (full size) for a
   * checkpoint without one.
   */
  public static Compaction compaction(MaskedModel model, Checkpoint checkpoint) {
    Masks m = model.masks();
    if (!checkpoint.compacted()) {
      int[] sizes = new int[m.layers()];
      for (int l = 0; l < sizes.length; l++) {
        sizes[l] = m.size(l);
      }
      return Compaction.identity(sizes);
    }
    List<float[]> groups = new ArrayList<>();
    for (int l = 0; l < m.layers(); l++) {
      Tensor t = checkpoint.masks().get(COMPACTION_PREFIX + "layer" + l);
      if (t == null || t.floats().length != m.size(l)) {
        throw new IllegalArgumentException(
            "checkpoint at step "
                + checkpoint.step()
                + " has no compaction map of "
                + m.size(l)
                + " structures for mask group "
                + l);
      }
      groups.add(t.floats());
    }
    return Compaction.decode(groups, "checkpoint at step " + checkpoint.step());
  }
}
