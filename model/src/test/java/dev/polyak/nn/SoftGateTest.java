package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Soft gates (what grad-score and pl-gate differentiate). The independent truth is the chain rule:
 * multiplying a structure's output by ξ is the same as multiplying the parameters that carry that
 * output onward (a head's rows of the output projection, an expert's output layer, a neuron's
 * outgoing row, a filter's batch-norm scale and shift), so at ξ = 1, dL/dξ = Σ w · dL/dw over
 * exactly those parameters — computed here from the ordinary weight gradients without any gate.
 */
class SoftGateTest {
  private static final RandomStreams STREAMS = new RandomStreams(11);

  @Test
  void headGateGradientIsTheOutputProjectionsDirectionalDerivative() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model =
            new Bert(new Bert.Config(50, 16, 2, 4, 32, 8), manager, STREAMS.stream("init"))) {
      check(
          model,
          tokens(manager),
          1,
          2,
          s -> s.parameter().equals("layer1.attention.output.weight"));
      check(
          model,
          tokens(manager),
          0,
          0,
          s -> s.parameter().equals("layer0.attention.output.weight"));
    }
  }

  @Test
  void expertGateGradientIsTheExpertOutputLayersDirectionalDerivative() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model =
            new Switch(
                new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.5, 1.0),
                manager,
                STREAMS.stream("init"))) {
      check(
          model,
          tokens(manager),
          model.expertGroup(1),
          1,
          s -> s.parameter().startsWith("layer1.ffn.expert1.out."));
    }
  }

  @Test
  void neuronAndFilterGatesScaleWhatCarriesTheirOutputOn() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp mlp = new Mlp(new Mlp.Config(4, new int[] {6, 5}, 3), manager, STREAMS.stream("init"));
        Vgg16 vgg =
            new Vgg16(
                Vgg16.Config.reduced(10, 8),
                manager,
                STREAMS.stream("init"),
                STREAMS.stream("dropout"))) {
      NDArray x = manager.randomNormal(new Shape(7, 4));
      check(mlp, x, 0, 4, s -> s.parameter().equals("w1"));
      check(mlp, x, 1, 2, s -> s.parameter().equals("w2"));
      vgg.evaluation();
      NDArray images = manager.randomNormal(new Shape(2, 3, 32, 32));
      String bn =
          "features.11."; // convolution 3 (features.10) is followed by its batch norm, whose scale
      // and shift carry filter 5 on
      check(vgg, images, 3, 5, s -> s.parameter().startsWith(bn));
    }
  }

  @Test
  void aGateOfOnesChangesNothingAndAZeroGateIsTheMask() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model =
            new Bert(new Bert.Config(50, 16, 2, 4, 32, 8), manager, STREAMS.stream("init"))) {
      NDArray ids = tokens(manager);
      try (Autograd.Mode off = Autograd.recording(false)) {
        float[] plain = model.forward(ids).toFloatArray();
        model.setGate(1, manager.ones(new Shape(4)));
        assertThat(model.forward(ids).toFloatArray()).isEqualTo(plain);
        model.setGate(1, manager.create(new float[] {1, 0, 1, 1}));
        float[] gated = model.forward(ids).toFloatArray();
        model.clearGates();
        assertThat(model.forward(ids).toFloatArray()).isEqualTo(plain);
        model.masks().set(1, 1, false);
        assertThat(model.forward(ids).toFloatArray()).isEqualTo(gated);
      }
      assertThatThrownBy(() -> model.setGate(0, manager.ones(new Shape(3))))
          .hasMessageContaining("layer 0 has 4 structures, the gate has shape (3)");
    }
  }

  private static NDArray tokens(NDManager manager) {
    int[] tokens = new int[2 * 8];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = 5 + (i * 7) % 35;
    }
    return manager.create(tokens, new Shape(2, 8));
  }

  /**
   * dL/dξ_index of layer {@code layer} at ξ = 1 against Σ w · dL/dw over the structure's slices
   * that {@code carries} picks.
   */
  private static void check(
      MaskedModel model, NDArray input, int layer, int index, Predicate<Structure.Slice> carries) {
    Structure structure =
        model.structures().stream()
            .filter(s -> s.layer() == layer && s.index() == index)
            .findFirst()
            .orElseThrow();
    NDManager manager = input.getManager();
    Autograd.zeroGradients(model.parameters().arrays());
    try (Autograd.Mode on = Autograd.recording(true)) {
      Autograd.backward(model.forward(input).square().mean());
    }
    double expected = 0;
    int carried = 0;
    for (Structure.Slice slice : structure.slices()) {
      if (carries.test(slice)) {
        NDArray w = model.parameters().get(slice.parameter());
        NDIndex part = new NDIndex(":, ".repeat(slice.axis()) + slice.from() + ":" + slice.to());
        expected += w.get(part).mul(w.getGradient().get(part)).sum().getFloat();
        carried++;
      }
    }
    assertThat(carried).as("slices carrying %s on", structure.id()).isPositive();

    NDArray gate = manager.ones(new Shape(model.masks().size(layer)));
    gate.setRequiresGradient(true);
    model.setGate(layer, gate);
    try (Autograd.Mode on = Autograd.recording(true)) {
      Autograd.backward(model.forward(input).square().mean());
    } finally {
      model.clearGates();
    }
    double actual = gate.getGradient().getFloat(index);
    assertThat(Math.abs(expected)).as("a test case with a gradient").isGreaterThan(1e-7);
    assertThat(actual)
        .as(structure.id())
        .isCloseTo(expected, within(1e-4 * Math.abs(expected) + 1e-7));
  }
}
