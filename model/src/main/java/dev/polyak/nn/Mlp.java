package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A fully connected ReLU network; its prunable structures are the hidden neurons. Neuron {@code j}
 * of hidden layer {@code l} owns column {@code j} of {@code w<l>}, entry {@code j} of {@code b<l>}
 * and row {@code j} of {@code w<l+1>}. Weights are Kaiming-normal, biases zero.
 */
public final class Mlp extends AbstractMaskedModel {
  /** Layer widths: inputs, hidden layers..., outputs. */
  public record Config(int inputs, int[] hidden, int outputs) {}

  private final Config config;

  public Mlp(Config config, NDManager manager, RandomStream init) {
    super(manager, config.hidden());
    this.config = config;
    int[] widths = widths(config);
    for (int l = 0; l + 1 < widths.length; l++) {
      parameters.normal(
          "w" + l, new Shape(widths[l], widths[l + 1]), (float) Math.sqrt(2.0 / widths[l]), init);
      parameters.constant("b" + l, new Shape(widths[l + 1]), 0f);
      addPrunableWeight("w" + l);
    }
    for (int l = 0; l < config.hidden().length; l++) {
      for (int j = 0; j < config.hidden()[l]; j++) {
        addStructure(
            new Structure(
                "layer" + l + "/neuron" + j,
                l,
                j,
                Structure.Kind.NEURON,
                List.of(
                    new Structure.Slice("w" + l, 1, j, j + 1),
                    new Structure.Slice("b" + l, 0, j, j + 1),
                    new Structure.Slice("w" + (l + 1), 0, j, j + 1))));
      }
    }
  }

  private static int[] widths(Config config) {
    int[] widths = new int[config.hidden().length + 2];
    widths[0] = config.inputs();
    System.arraycopy(config.hidden(), 0, widths, 1, config.hidden().length);
    widths[widths.length - 1] = config.outputs();
    return widths;
  }

  /** Every group is a hidden layer's neurons, and every neuron can be sliced out. */
  @Override
  public boolean compactable(int layer) {
    return true;
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray h = input.reshape(input.getShape().get(0), -1);
    int hidden = config.hidden().length;
    for (int l = 0; l <= hidden; l++) {
      NDArray w = weight("w" + l, input.getManager());
      NDArray z = h.matMul(w).add(parameters.get("b" + l));
      if (w == parameters.get("w" + l)) {
        z = parameters.linear("w" + l, "b" + l, h, z); // a weight-masked layer is not tapped
      }
      if (l == hidden) {
        return z;
      }
      h = ai.djl.nn.Activation.relu(z);
      NDArray factor = outputFactor(l, input.getManager(), presentCount(l));
      if (factor != null) {
        h = h.mul(factor);
      }
    }
    throw new IllegalStateException("unreachable");
  }

  @Override
  public long keptParameters() {
    long kept = 0;
    for (long[] layer : keptLayerSizes()) {
      kept += layer[0] * layer[1] + layer[1];
    }
    return kept - maskedWeightsOutsideStructures();
  }

  @Override
  public long flopsPerSample() {
    long flops = 0;
    for (long[] layer : keptLayerSizes()) {
      flops += 2 * layer[0] * layer[1];
    }
    return flops;
  }

  /** For each weight matrix, its {inputs, outputs} still active under the masks. */
  private List<long[]> keptLayerSizes() {
    int[] widths = widths(config);
    List<long[]> sizes = new ArrayList<>();
    for (int l = 0; l + 1 < widths.length; l++) {
      long in = l == 0 ? widths[0] : masks.keptCount(l - 1);
      long out = l + 1 < widths.length - 1 ? masks.keptCount(l) : widths[l + 1];
      sizes.add(new long[] {in, out});
    }
    return sizes;
  }
}
