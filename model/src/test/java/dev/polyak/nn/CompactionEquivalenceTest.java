package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.random.RandomStreams;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A compacted model (pruned structures sliced out of its tensors) computes what the masked model
 * computes: the same outputs, the same gradients of every kept weight and the same gradients of
 * soft gates, to float32 rounding; for the CIFAR networks also in evaluation mode, after a training
 * forward pass updated the batch norms' running statistics, which must match at the kept filters.
 * The truth is the masked model itself, built from the same seed; which positions a compaction
 * keeps is worked out here from the structures' slices as built (every position of an axis that no
 * pruned structure's slice covers), not by {@link Compaction}.
 *
 * <p>Bound: every output and gradient element {@code c} of the compacted model and {@code m} of the
 * masked one satisfy {@code |c − m| ≤ 1e-5 · (1 + max |m|)} over the tensor (the matrix products
 * sum fewer terms, the dropped ones exact zeros, so only the summation order differs). Weights are
 * copied: bitwise equal. One exception: in training mode a convolution bias followed by batch norm
 * has gradient zero in exact arithmetic (the batch mean cancels it), so both models' values are
 * rounding noise; each must be within the bound scaled by its convolution weight's gradient.
 */
class CompactionEquivalenceTest {
  private static final double TOLERANCE = 1e-5;

  @Test
  void bertWithHeadsSlicedOutComputesWhatTheMaskedBertComputes() {
    Autograd.ensureEngine();
    Bert.Config config = new Bert.Config(50, 32, 2, 4, 48, 8);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert masked = new Bert(config, manager, new RandomStreams(3).stream("init"));
        Bert compacted = new Bert(config, manager, new RandomStreams(3).stream("init"))) {
      int[][] pruned = {{1}, {0, 3}};
      check(masked, compacted, pruned, tokens(manager), manager);
      assertThat(compacted.parameters().get("layer1.attention.query.weight").getShape())
          .isEqualTo(new Shape(32, 16));
      assertThat(compacted.parameters().get("layer1.attention.output.weight").getShape())
          .isEqualTo(new Shape(16, 32));
      assertThat(compacted.parameters().count())
          .isEqualTo(masked.keptParameters())
          .isEqualTo(compacted.keptParameters());
      assertThat(compacted.flopsPerSample()).isEqualTo(masked.flopsPerSample());
    }
  }

  @Test
  void switchWithExpertsSlicedOutRoutesAsTheMaskedSwitch() {
    Autograd.ensureEngine();
    // 4 experts, capacity factor 1.5: 24 tokens a batch, so capacities 9 (4 kept) and 18 (2 kept)
    Switch.Config config = new Switch.Config(50, 32, 2, 4, 48, 12, 4, 1.5, 0.01);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch dense = new Switch(config, manager, new RandomStreams(6).stream("init"));
        Switch masked = new Switch(config, manager, new RandomStreams(6).stream("init"));
        Switch compacted = new Switch(config, manager, new RandomStreams(6).stream("init"))) {
      NDArray ids = tokens(manager, 2, 12);
      // the two experts the unpruned model sends most of layer 0's tokens to are pruned there
      int[] load = new int[4];
      for (int e : dense.route(layer0Input(dense, ids), 0).experts()) {
        if (e != Switch.DROPPED) {
          load[e]++;
        }
      }
      int[] busiest = busiest(load, 2);
      assertThat(load[busiest[0]] + load[busiest[1]])
          .as("tokens the pruned experts had")
          .isPositive();
      int[][] pruned = {{3}, {2}, busiest, {1}};
      check(masked, compacted, pruned, ids, manager);

      // the routing itself, on the layer-0 input of the pruned models
      NDArray x = layer0Input(masked, ids);
      Switch.Routing m = masked.route(x, 0);
      Switch.Routing c = compacted.route(x, 0);
      assertThat(c.experts()).isEqualTo(m.experts());
      for (int e : c.experts()) {
        assertThat(e).isNotIn(busiest[0], busiest[1]);
      }
      assertClose(c.output().toFloatArray(), m.output().toFloatArray(), "layer 0 expert output");
      assertClose(
          c.loadBalancingLoss().toFloatArray(),
          m.loadBalancingLoss().toFloatArray(),
          "load-balancing loss");

      String router = "layer0.ffn.router.weight";
      assertThat(compacted.parameters().get(router).getShape()).isEqualTo(new Shape(32, 2));
      assertThat(
              compacted
                  .parameters()
                  .get("layer0.ffn.expert" + busiest[0] + ".in.weight")
                  .getShape())
          .isEqualTo(new Shape(0, 48));
      assertThat(compacted.parameters().count())
          .isEqualTo(masked.keptParameters())
          .isEqualTo(compacted.keptParameters());
      assertThat(compacted.flopsPerSample()).isEqualTo(masked.flopsPerSample());
    }
  }

  /** The input of layer 0's mixture of experts: embeddings, then attention with the heads' mask. */
  private static NDArray layer0Input(Switch model, NDArray ids) {
    NDArray x = Bert.embed(model.parameters(), model.encoderConfig(), ids);
    float[] mask = new float[model.config().heads()];
    int k = 0;
    for (int h = 0; h < mask.length; h++) {
      if (model.compaction().present(0, h)) {
        mask[k++] = model.masks().kept(0, h) ? 1f : 0f;
      }
    }
    NDArray factor = ids.getManager().create(java.util.Arrays.copyOf(mask, k)).reshape(1, k, 1, 1);
    x = Bert.attention(model.parameters(), factor, model.encoderConfig(), x, 0);
    return x.reshape(-1, model.config().hidden());
  }

  /** The {@code n} indices of the largest entries of {@code load}, ascending. */
  private static int[] busiest(int[] load, int n) {
    return java.util.stream.IntStream.range(0, load.length)
        .boxed()
        .sorted((a, b) -> load[b] != load[a] ? load[b] - load[a] : a - b)
        .limit(n)
        .mapToInt(Integer::intValue)
        .sorted()
        .toArray();
  }

  @Test
  void mlpWithNeuronsSlicedOutComputesWhatTheMaskedMlpComputes() {
    Autograd.ensureEngine();
    Mlp.Config config = new Mlp.Config(5, new int[] {7, 6}, 3);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp masked = new Mlp(config, manager, new RandomStreams(4).stream("init"));
        Mlp compacted = new Mlp(config, manager, new RandomStreams(4).stream("init"))) {
      NDArray x = manager.create(sequence(9 * 5), new Shape(9, 5));
      check(masked, compacted, new int[][] {{0, 2, 6}, {4}}, x, manager);
      // w1 lost the rows of layer 0's pruned neurons and the columns of layer 1's
      assertThat(compacted.parameters().get("w1").getShape()).isEqualTo(new Shape(4, 5));
      assertThat(compacted.parameters().count()).isEqualTo(masked.keptParameters());
    }
  }

  @Test
  void aSecondEventCompactsFurtherAndNothingComesBack() {
    Autograd.ensureEngine();
    Bert.Config config = new Bert.Config(50, 32, 2, 4, 48, 8);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert masked = new Bert(config, manager, new RandomStreams(5).stream("init"));
        Bert compacted = new Bert(config, manager, new RandomStreams(5).stream("init"))) {
      prune(masked, new int[][] {{2}, {}});
      prune(compacted, new int[][] {{2}, {}});
      compacted.compact(compacted.compaction().without(compacted.masks(), l -> true));
      Compaction first = compacted.compaction();
      check(masked, compacted, new int[][] {{2, 0}, {1}}, tokens(manager), manager);
      assertThatThrownBy(() -> compacted.compact(first))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot bring back");
    }
  }

  @Test
  void theCompactionMapRoundTripsAndRefusesAGarbledOne() {
    Masks masks = new Masks(4, 3);
    masks.set(0, 1, false);
    masks.set(1, 0, false);
    masks.set(1, 1, false);
    masks.set(1, 2, false);
    // a group with nothing kept stays whole: its tensors would be empty
    Compaction c = Compaction.identity(4, 3).without(masks, l -> true);
    assertThat(c.encode(0)).containsExactly(0f, -1f, 1f, 2f);
    assertThat(c.encode(1)).containsExactly(0f, 1f, 2f);
    assertThat(Compaction.decode(List.of(c.encode(0), c.encode(1)), "x")).isEqualTo(c);
    assertThatThrownBy(
            () -> Compaction.decode(List.of(new float[] {0f, 2f}), "ckpt-00000010.safetensors"))
        .hasMessageContaining("ckpt-00000010.safetensors")
        .hasMessageContaining("group 0 has position 2.0 at structure 1");
  }

  /**
   * Prunes {@code pruned[l]} of each group on both models, compacts one, sets the same soft gates
   * on both and compares outputs, weight gradients, gate gradients and the structures' slices.
   */
  private static void check(
      MaskedModel masked, MaskedModel compacted, int[][] pruned, NDArray input, NDManager manager) {
    prune(masked, pruned);
    prune(compacted, pruned);
    compacted.compact(compacted.compaction().without(compacted.masks(), l -> true));
    List<Structure> built = masked.structures();
    NDArray[] maskedGates = gates(masked, manager);
    NDArray[] compactedGates = gates(compacted, manager);
    compareOutputsAndGradients(masked, compacted, input, "");
    for (int l = 0; l < maskedGates.length; l++) {
      float[] expected = maskedGates[l].getGradient().toFloatArray();
      float[] actual = compactedGates[l].getGradient().toFloatArray();
      assertClose(actual, expected, "gate " + l + " gradient");
      for (int i : pruned[l]) {
        assertThat(actual[i]).as("pruned structure's gate gradient").isZero();
      }
    }
    masked.clearGates();
    compacted.clearGates();
    List<Structure> now = compacted.structures();
    for (int s = 0; s < built.size(); s++) {
      Structure before = built.get(s);
      Structure after = now.get(s);
      assertThat(after.id()).isEqualTo(before.id());
      if (!masked.masks().kept(before.layer(), before.index())) {
        assertThat(after.slices()).as(after.id() + " is gone from the tensors").isEmpty();
        continue;
      }
      for (int k = 0; k < before.slices().size(); k++) {
        Structure.Slice slice = before.slices().get(k);
        assertThat(read(compacted, after.slices().get(k)))
            .as(after.id() + " " + after.slices().get(k))
            .isEqualTo(keptOfSlice(masked, slice, built));
      }
    }
  }

  /**
   * Runs {@code input} through both models and back-propagates the same weighted sum of the
   * outputs; compares the outputs, every kept weight (bitwise) and its gradient ({@code what} says
   * in which mode).
   */
  private static void compareOutputsAndGradients(
      MaskedModel masked, MaskedModel compacted, NDArray input, String what) {
    List<Structure> built = masked.structures();
    float[] maskedOut = lossAndBackward(masked, input);
    float[] compactedOut = lossAndBackward(compacted, input);
    assertClose(compactedOut, maskedOut, what + "outputs");
    for (Map.Entry<String, NDArray> e : masked.parameters().all().entrySet()) {
      String name = e.getKey();
      NDArray small = compacted.parameters().get(name);
      long[] dims = e.getValue().getShape().getShape();
      float[] keptValues = kept(e.getValue().toFloatArray(), dims, built, masked.masks(), name);
      assertThat(small.toFloatArray()).as(name).isEqualTo(keptValues);
      float[] expected =
          kept(e.getValue().getGradient().toFloatArray(), dims, built, masked.masks(), name);
      float[] actual = small.getGradient().toFloatArray();
      if (biasBeforeTrainingBatchNorm(masked, name)) {
        // zero in exact arithmetic: both must be rounding noise on the scale of the weight's
        float[] weight =
            masked.parameters().get(name.replace(".bias", ".weight")).getGradient().toFloatArray();
        assertClose(actual, new float[actual.length], what + name + " gradient", weight);
        assertClose(expected, new float[actual.length], what + name + " gradient", weight);
      } else {
        assertClose(actual, expected, what + name + " gradient");
      }
    }
  }

  /**
   * Whether {@code name} is a convolution's bias in a model in training mode: the batch norm after
   * it subtracts the channel's batch mean, so its gradient is zero in exact arithmetic and what
   * both models compute is rounding noise, not comparable element by element.
   */
  private static boolean biasBeforeTrainingBatchNorm(MaskedModel model, String name) {
    return model instanceof AbstractConvNet net
        && net.training()
        && name.endsWith(".bias")
        && model.parameters().all().containsKey(name.replace(".bias", ".weight"))
        && model.parameters().get(name.replace(".bias", ".weight")).getShape().dimension() == 4;
  }

  /**
   * {@link #check} in training mode (batch statistics, dropout at step 3, running statistics
   * updated), then the kept filters' running statistics, then outputs and gradients again in
   * evaluation mode, which reads the running statistics. A running statistic's kept channels are
   * those of its batch norm's weight (the truth is the structures' slices as built, which name the
   * weight, not the buffers).
   */
  private static void checkConvNet(
      AbstractConvNet masked,
      AbstractConvNet compacted,
      int[][] pruned,
      NDArray images,
      NDManager manager) {
    masked.trainingStep(3);
    compacted.trainingStep(3);
    check(masked, compacted, pruned, images, manager);
    List<Structure> built = masked.structures();
    for (Map.Entry<String, NDArray> e : masked.parameters().buffers().entrySet()) {
      String name = e.getKey();
      String weight = name.replaceAll("running_(mean|var)$", "weight");
      NDArray small = compacted.parameters().buffers().get(name);
      float[] expected =
          kept(
              e.getValue().toFloatArray(),
              e.getValue().getShape().getShape(),
              built,
              masked.masks(),
              weight);
      assertThat(small.getShape().getShape()).as(name).containsExactly(expected.length);
      assertClose(small.toFloatArray(), expected, name);
    }
    masked.evaluation();
    compacted.evaluation();
    compareOutputsAndGradients(masked, compacted, images, "evaluation mode: ");
  }

  @Test
  void vgg16WithFiltersSlicedOutComputesWhatTheMaskedVgg16Computes() {
    Autograd.ensureEngine();
    // widths 4, 4, 8, 8, 16, 16, 16, 32 ... 32, classifier 32
    Vgg16.Config config = Vgg16.Config.reduced(10, 16);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Vgg16 masked = vgg16(config, manager, 6);
        Vgg16 compacted = vgg16(config, manager, 6)) {
      int[][] pruned = halves(config.channels());
      pruned[5] = new int[0]; // a layer left whole beside compacted ones
      checkConvNet(masked, compacted, pruned, images(manager), manager);
      assertThat(compacted.parameters().get("features.0.weight").getShape())
          .isEqualTo(new Shape(2, 3, 3, 3));
      // conv 4 lost half its 16 filters; its input, conv 3's output, half of 8
      assertThat(compacted.parameters().get("features.14.weight").getShape())
          .isEqualTo(new Shape(8, 4, 3, 3));
      // the last convolution's 32 filters are the classifier's 32 input features
      assertThat(compacted.parameters().get("classifier.1.weight").getShape())
          .isEqualTo(new Shape(32, 16));
      assertThat(compacted.parameters().count())
          .isEqualTo(masked.keptParameters())
          .isEqualTo(compacted.keptParameters());
      assertThat(compacted.flopsPerSample()).isEqualTo(masked.flopsPerSample());
    }
  }

  @Test
  void resNetWithInnerFiltersSlicedOutComputesWhatTheMaskedResNetComputes() {
    Autograd.ensureEngine();
    // ResNet-14: two blocks per stage, inner widths 16, 16, 32, 32, 64, 64
    ResNet56.Config config = new ResNet56.Config(2, 10);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 masked = new ResNet56(config, manager, new RandomStreams(7).stream("init"));
        ResNet56 compacted = new ResNet56(config, manager, new RandomStreams(7).stream("init"))) {
      int[][] pruned = halves(new int[] {16, 16, 32, 32, 64, 64});
      pruned[1] = new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // 13 of 16
      pruned[3] = new int[0];
      checkConvNet(masked, compacted, pruned, images(manager), manager);
      assertThat(compacted.parameters().get("blocks.1.c1.weight").getShape())
          .isEqualTo(new Shape(3, 16, 3, 3));
      assertThat(compacted.parameters().get("blocks.1.c2.weight").getShape())
          .isEqualTo(new Shape(16, 3, 3, 3));
      // the block's output, its second batch norm and so the shortcut keep their width
      assertThat(compacted.parameters().get("blocks.1.b2.weight").getShape())
          .isEqualTo(new Shape(16));
      assertThat(compacted.parameters().buffers().get("blocks.1.b2.running_var").getShape())
          .isEqualTo(new Shape(16));
      assertThat(compacted.parameters().get("blocks.2.c1.weight").getShape())
          .isEqualTo(new Shape(16, 16, 3, 3));
      assertThat(compacted.parameters().count())
          .isEqualTo(masked.keptParameters())
          .isEqualTo(compacted.keptParameters());
      assertThat(compacted.flopsPerSample()).isEqualTo(masked.flopsPerSample());
    }
  }

  /**
   * Kept widths 12, 24 and 48, those of CompactedFiltersRunTest's ResNet after its first event: 24
   * input channels (more than one block of 16, not a multiple) and a batch above one put the
   * engine's forward pass 0.4 off on an AMD Zen 5 CPU until {@link AbstractConvNet#convolution3x3}
   * padded them. (At batch 16 these images put a pre-activation of block 2 within 1e-7 of zero in
   * evaluation mode, where rounding decides which side of the ReLU it falls on: four images.)
   */
  @Test
  void resNetWithInnerWidthsOffTheChannelBlockComputesWhatTheMaskedResNetComputes() {
    Autograd.ensureEngine();
    ResNet56.Config config = new ResNet56.Config(1, 10);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 masked = new ResNet56(config, manager, new RandomStreams(7).stream("init"));
        ResNet56 compacted = new ResNet56(config, manager, new RandomStreams(7).stream("init"))) {
      int[][] pruned = {
        {1, 4, 9, 13},
        {0, 3, 5, 8, 11, 17, 22, 30},
        java.util.stream.IntStream.range(0, 16).map(k -> 4 * k + 1).toArray()
      };
      NDArray images = manager.create(sequence(4 * 3 * 32 * 32), new Shape(4, 3, 32, 32));
      checkConvNet(masked, compacted, pruned, images, manager);
      assertThat(compacted.parameters().get("blocks.1.c2.weight").getShape())
          .isEqualTo(new Shape(32, 24, 3, 3));
    }
  }

  @Test
  void aConvNetWithWeightLevelMasksRefusesToCompact() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 model =
            new ResNet56(new ResNet56.Config(1, 10), manager, new RandomStreams(8).stream("i"))) {
      float[] mask = new float[16 * 16 * 9];
      java.util.Arrays.fill(mask, 1f);
      mask[100] = 0f;
      model.weightMasks().set("blocks.0.c1.weight", mask);
      model.masks().set(0, 3, false);
      Compaction target = model.compaction().without(model.masks(), l -> true);
      assertThatThrownBy(() -> model.compact(target))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("blocks.0.c1.weight has weight-level masks");
      assertThat(model.parameters().get("blocks.0.c1.weight").getShape())
          .isEqualTo(new Shape(16, 16, 3, 3));
    }
  }

  private static Vgg16 vgg16(Vgg16.Config config, NDManager manager, long seed) {
    RandomStreams streams = new RandomStreams(seed);
    return new Vgg16(
        config, manager, streams.stream(RandomStreams.INIT), streams.stream(RandomStreams.DROPOUT));
  }

  /** Per layer, every other filter (the odd ones in even layers, the even ones in odd layers). */
  private static int[][] halves(int[] widths) {
    int[][] pruned = new int[widths.length][];
    for (int l = 0; l < widths.length; l++) {
      int first = (l + 1) % 2;
      pruned[l] =
          java.util.stream.IntStream.range(0, widths[l] / 2).map(k -> 2 * k + first).toArray();
    }
    return pruned;
  }

  /** Four deterministic CIFAR-shaped images. */
  private static NDArray images(NDManager manager) {
    return manager.create(sequence(4 * 3 * 32 * 32), new Shape(4, 3, 32, 32));
  }

  private static void prune(MaskedModel model, int[][] pruned) {
    for (int l = 0; l < pruned.length; l++) {
      for (int i : pruned[l]) {
        model.masks().set(l, i, false);
      }
    }
  }

  /** A gate of distinct values around 1 on every group, recording its gradient. */
  private static NDArray[] gates(MaskedModel model, NDManager manager) {
    NDArray[] gates = new NDArray[model.masks().layers()];
    for (int l = 0; l < gates.length; l++) {
      float[] values = new float[model.masks().size(l)];
      for (int i = 0; i < values.length; i++) {
        values[i] = 0.8f + 0.1f * i;
      }
      gates[l] = manager.create(values);
      gates[l].setRequiresGradient(true);
      model.setGate(l, gates[l]);
    }
    return gates;
  }

  /**
   * The model's outputs and, last, its auxiliary loss (zero but for Switch), after back-propagating
   * a fixed weighted sum of them.
   */
  private static float[] lossAndBackward(MaskedModel model, NDArray input) {
    Autograd.zeroGradients(model.parameters().arrays());
    try (Autograd.Mode on = Autograd.recording(true)) {
      NDArray out;
      NDArray auxiliary;
      if (model instanceof MlmModel mlm) {
        MlmModel.Encoding encoding = mlm.encodeForTraining(input);
        out = mlm.mlmLogits(encoding.hidden());
        auxiliary = encoding.auxiliaryLoss();
      } else {
        out = model.forward(input);
        auxiliary = out.getManager().zeros(new Shape());
      }
      NDArray weights =
          out.getManager().create(sequence(Math.toIntExact(out.getShape().size())), out.getShape());
      // the auxiliary loss (Switch's load balancing) weighted up so that its gradient shows
      Autograd.backward(out.mul(weights).sum().add(auxiliary.mul(100f)));
      float[] values = out.toFloatArray();
      float[] withAuxiliary = java.util.Arrays.copyOf(values, values.length + 1);
      withAuxiliary[values.length] = auxiliary.toFloatArray()[0];
      return withAuxiliary;
    }
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertClose(actual, expected, what, expected);
  }

  /** {@link #assertClose(float[], float[], String)} with the bound scaled by {@code reference}. */
  private static void assertClose(
      float[] actual, float[] expected, String what, float[] reference) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    double scale = 0;
    for (float v : reference) {
      scale = Math.max(scale, Math.abs(v));
    }
    double bound = TOLERANCE * (1 + scale);
    for (int i = 0; i < actual.length; i++) {
      assertThat((double) Math.abs(actual[i] - expected[i]))
          .as(what + " at " + i + ": " + actual[i] + " vs " + expected[i])
          .isLessThanOrEqualTo(bound);
    }
  }

  /**
   * {@code values} (shape {@code dims}, row-major) without the positions that the pruned
   * structures' slices of parameter {@code name} cover along each axis.
   */
  private static float[] kept(
      float[] values, long[] dims, List<Structure> built, Masks masks, String name) {
    List<BitSet> gone = new ArrayList<>();
    for (int a = 0; a < dims.length; a++) {
      gone.add(new BitSet());
    }
    for (Structure s : built) {
      if (!masks.kept(s.layer(), s.index())) {
        for (Structure.Slice slice : s.slices()) {
          if (slice.parameter().equals(name)) {
            gone.get(slice.axis()).set((int) slice.from(), (int) slice.to());
          }
        }
      }
    }
    List<Float> out = new ArrayList<>();
    int[] at = new int[dims.length];
    for (int i = 0; i < values.length; i++) {
      boolean keep = true;
      for (int a = 0; a < dims.length; a++) {
        keep &= !gone.get(a).get(at[a]);
      }
      if (keep) {
        out.add(values[i]);
      }
      for (int a = dims.length - 1; a >= 0 && ++at[a] == dims[a]; a--) {
        at[a] = 0;
      }
    }
    float[] array = new float[out.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = out.get(i);
    }
    return array;
  }

  /**
   * The values of the masked model's slice {@code slice} that compaction keeps: the parameter with
   * every element outside the slice set to NaN, cut as {@link #kept} cuts it, NaNs dropped (a
   * neuron's outgoing row loses the columns of the next layer's pruned neurons).
   */
  private static float[] keptOfSlice(
      MaskedModel masked, Structure.Slice slice, List<Structure> built) {
    NDArray p = masked.parameters().get(slice.parameter());
    long[] dims = p.getShape().getShape();
    float[] values = p.toFloatArray();
    float[] marked = new float[values.length];
    java.util.Arrays.fill(marked, Float.NaN);
    slice.ranges(
        dims,
        0,
        dims[0],
        (from, to) -> {
          for (long i = from; i < to; i++) {
            marked[(int) i] = values[(int) i];
          }
        });
    float[] cut = kept(marked, dims, built, masked.masks(), slice.parameter());
    List<Float> out = new ArrayList<>();
    for (float v : cut) {
      if (!Float.isNaN(v)) {
        out.add(v);
      }
    }
    float[] array = new float[out.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = out.get(i);
    }
    return array;
  }

  /** The values of a slice of a model's parameter, in row-major order. */
  private static float[] read(MaskedModel model, Structure.Slice slice) {
    NDArray p = model.parameters().get(slice.parameter());
    long[] dims = p.getShape().getShape();
    float[] values = p.toFloatArray();
    List<Float> out = new ArrayList<>();
    slice.ranges(
        dims,
        0,
        dims[0],
        (from, to) -> {
          for (long i = from; i < to; i++) {
            out.add(values[(int) i]);
          }
        });
    float[] array = new float[out.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = out.get(i);
    }
    return array;
  }

  private static NDArray tokens(NDManager manager) {
    return tokens(manager, 2, 8);
  }

  private static NDArray tokens(NDManager manager, int batch, int length) {
    int[] tokens = new int[batch * length];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = 5 + (i * 7) % 35;
    }
    return manager.create(tokens, new Shape(batch, length));
  }

  /** Deterministic values in [-1, 1). */
  private static float[] sequence(int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = ((i * 37) % 101) / 50.5f - 1f;
    }
    return values;
  }
}
