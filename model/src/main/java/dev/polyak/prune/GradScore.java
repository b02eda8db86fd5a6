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
 * The {@code grad-score} importance of Michel, Levy and Neubig, "Are Sixteen Heads Really Better
 * than One?" (NeurIPS 2019): each structure's output is multiplied by a gate ξ_i = 1 ({@link
 * MaskedModel#setGate}), and
 *
 * <pre>I_i = (1/B) Σ_b |∂L_b/∂ξ_i|,</pre>
 *
 * the mean over the B scoring batches of the absolute derivative of the batch's mean task loss L_b
 * in the gate: Att-Score for heads, Exp-Score for experts, and the same for filters and neurons.
 * Every batch counts equally, a short last batch too (as the paper's code, which sums the batches'
 * |∂L/∂ξ|). The paper's ℓ2 normalisation of the scores within each layer is not applied: the
 * scores are the raw expected sensitivities, comparable across layers as they are.
 *
 * <p>A masked structure scores as it is: the gate multiplies its output on top of its zero mask
 * entry, so its derivative and its score are 0. The model is left as it was found: weights
 * untouched, masks unchanged, no gate set (cleared even on failure), parameters' gradients zero.
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
        try (NDScope batch = new NDScope(); Autograd.Mode on = Autograd.recording(true)) {
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
