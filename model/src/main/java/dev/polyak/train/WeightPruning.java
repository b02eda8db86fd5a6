package dev.polyak.train;

import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.WeightMasks;
import dev.polyak.prune.KeepTopWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code weights} scope's side of a pruning event: its layers are the prunable weight tensors
 * and its units their single elements ({@link WeightMasks}). The event's record lists one entry per
 * tensor: its name, the sum of its weights' scores, whether it keeps any weight, and how many it
 * keeps before and after.
 */
final class WeightPruning {
  private WeightPruning() {}

  /** Each prunable weight's element count, in the model's order: the scope's layer sizes. */
  static int[] sizes(MaskedModel model) {
    WeightMasks masks = model.weightMasks();
    return masks.names().stream().mapToInt(masks::size).toArray();
  }

  /** Weights of the scope kept now. */
  static int kept(MaskedModel model) {
    return Math.toIntExact(model.weightMasks().keptCount());
  }

  /** The name of the scope's layer {@code l}: its weight tensor. */
  static String layerName(MaskedModel model, int l) {
    return model.weightMasks().names().get(l);
  }

  /** What one event did to each tensor (see the class comment). */
  record Result(
      List<String> names,
      List<Double> scores,
      List<Boolean> keptBefore,
      List<Boolean> keptAfter,
      List<Long> weightsBefore,
      List<Long> weightsAfter) {}

  /**
   * Keeps the best weights ({@link KeepTopWeights}) with {@code targets} (one entry, global, or one
   * per tensor), sets the masks and zeroes the removed weights and their optimizer state.
   */
  static Result select(
      Trainer trainer, Map<String, double[]> scores, int[] targets, int minPerLayer) {
    WeightMasks masks = trainer.model().weightMasks();
    List<String> names = masks.names();
    if (!scores.keySet().equals(new java.util.LinkedHashSet<>(names))) {
      throw new IllegalStateException(
          "weight scores for " + scores.keySet() + ", prunable weights " + names);
    }
    List<double[]> values = new ArrayList<>();
    List<boolean[]> before = new ArrayList<>();
    List<Double> sums = new ArrayList<>();
    List<Long> weightsBefore = new ArrayList<>();
    for (String name : names) {
      double[] s = scores.get(name);
      boolean[] kept = new boolean[masks.size(name)];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = masks.kept(name, i);
      }
      values.add(s);
      before.add(kept);
      sums.add(java.util.Arrays.stream(s).sum());
      weightsBefore.add(masks.keptCount(name));
    }
    boolean[][] keep = KeepTopWeights.select(names, values, before, targets, minPerLayer);
    List<Long> weightsAfter = new ArrayList<>();
    for (int t = 0; t < names.size(); t++) {
      masks.set(names.get(t), keep[t]);
      weightsAfter.add(masks.keptCount(names.get(t)));
    }
    zeroRemoved(trainer);
    return new Result(
        names,
        sums,
        weightsBefore.stream().map(n -> n > 0).toList(),
        weightsAfter.stream().map(n -> n > 0).toList(),
        weightsBefore,
        weightsAfter);
  }

  /**
   * Sets the removed weights and their optimizer state to zero: after masking, and again after lth
   * rewinds the weights to values from before the event.
   */
  static void zeroRemoved(Trainer trainer) {
    WeightMasks masks = trainer.model().weightMasks();
    if (masks.pruned().isEmpty()) {
      return;
    }
    masks.zeroRemoved(trainer.model().parameters());
    trainer
        .optimizer()
        .load(masks.zeroRemoved(trainer.optimizer().state()), trainer.model().parameters());
  }
}
