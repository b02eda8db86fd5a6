package dev.polyak.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Masks;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The {@code grad-score} importance of Michel, Levy and Neubig (NeurIPS 2019): the mean over the
 * scoring batches of |∂L_b/∂ξ_i|, ξ_i = 1 a gate on structure i's output ({@link
 * MaskedModel#setGate}): Att-Score for heads, Exp-Score for experts. A masked structure scores 0.
 * The model is left as it was found: weights untouched, masks unchanged, no gate set (cleared even
 * on failure), the parameters' gradients zero.
 *
 * <p>Method and choices: docs/design/importance.md (grad-score).
 */
public final class GradScore implements Importance {
  @Override
  public double[] scores(ScoringContext context) {
    MaskedModel model = context.model();
    ProbeObjective data = context.data();
    Masks masks = model.masks();
    Collection<NDArray> parameters = model.parameters().arrays();
    NDManager manager = model.parameters().manager();
    double[][] sums = new double[masks.layers()][];
    Autograd.zeroGradients(parameters);
    try (NDScope scope = new NDScope()) {
      List<NDArray> gates = new ArrayList<>();
      for (int layer = 0; layer < masks.layers(); layer++) {
        NDArray gate = manager.ones(new Shape(masks.size(layer)));
        gate.setRequiresGradient(true);
        model.setGate(layer, gate);
        gates.add(gate);
        sums[layer] = new double[masks.size(layer)];
      }
      for (int b = 0; b < context.batches(); b++) {
        Autograd.zeroGradients(gates);
        try (NDScope batch = new NDScope();
            Autograd.Mode on = Autograd.recording(true)) {
          Autograd.backward(data.loss(context.batchFrom(b), context.batchTo(b)));
        }
        try (NDScope read = new NDScope()) {
          for (int layer = 0; layer < sums.length; layer++) {
            float[] derivative = gates.get(layer).getGradient().toFloatArray();
            for (int i = 0; i < derivative.length; i++) {
              sums[layer][i] += Math.abs((double) derivative[i]);
            }
          }
        }
      }
    } finally {
      model.clearGates();
      Autograd.zeroGradients(parameters);
    }
    List<Structure> structures = model.structures();
    double[] scores = new double[structures.size()];
    for (int s = 0; s < scores.length; s++) {
      scores[s] = sums[structures.get(s).layer()][structures.get(s).index()] / context.batches();
    }
    return scores;
  }
}
