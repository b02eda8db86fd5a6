package dev.polyak.train;

import dev.polyak.nn.Compaction;
import dev.polyak.nn.MaskedModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compacts a trainer's model ({@link Compaction}) and cuts its optimizer's state (Adam's moments,
 * SGD's velocity: one buffer per parameter, named {@code <parameter>.<suffix>}) the same way, so
 * that training continues on the smaller tensors exactly as it would have on the kept slices.
 */
public final class TrainerCompaction {
  private TrainerCompaction() {}

  /** Slices out of the model and the optimizer's state what its masks removed. */
  public static void compactPruned(Trainer trainer) {
    MaskedModel model = trainer.model();
    compact(trainer, model.compaction().without(model.masks(), model::compactable));
  }

  /** Compacts the trainer's model to {@code target} and its optimizer's state with it. */
  public static void compact(Trainer trainer, Compaction target) {
    MaskedModel model = trainer.model();
    Map<String, long[]> shapes = shapes(model);
    Map<String, float[]> state = trainer.optimizer().state();
    List<Compaction.Cut> cuts = model.compact(target);
    if (cuts.isEmpty()) {
      return;
    }
    trainer
        .optimizer()
        .load(
            Compaction.apply(cuts, state, name -> parameterOf(name, shapes.keySet()), shapes::get),
            model.parameters());
  }

  /** Every parameter's and buffer's shape now. */
  static Map<String, long[]> shapes(MaskedModel model) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    model
        .parameters()
        .state()
        .forEach((name, array) -> shapes.put(name, array.getShape().getShape()));
    return shapes;
  }

  /** The parameter an optimizer buffer {@code <parameter>.<suffix>} belongs to, or null. */
  static String parameterOf(String buffer, Set<String> parameters) {
    int dot = buffer.lastIndexOf('.');
    if (dot < 0) {
      return null;
    }
    String parameter = buffer.substring(0, dot);
    return parameters.contains(parameter) ? parameter : null;
  }
}
