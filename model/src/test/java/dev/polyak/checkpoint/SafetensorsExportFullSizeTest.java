package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.ResNet56;
import dev.polyak.random.RandomStreams;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafetensorsExport#writeFullSize} of an MLP whose neurons were sliced out, where one weight
 * lost rows (the previous layer's neurons) and columns (its own): the truth is the same MLP built
 * from the same seed and never compacted, with the pruned neurons' rows and columns set to zero
 * here by index.
 */
class SafetensorsExportFullSizeTest {
  @TempDir Path dir;

  @Test
  void aCompactedMlpComesBackAtItsWidthsWithThePrunedNeuronsZero() {
    Autograd.ensureEngine();
    Mlp.Config config = new Mlp.Config(5, new int[] {7, 6}, 3);
    int[][] pruned = {{0, 2, 6}, {4}};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Mlp full = new Mlp(config, manager, new RandomStreams(4).stream("init"));
        Mlp compacted = new Mlp(config, manager, new RandomStreams(4).stream("init"))) {
      for (int l = 0; l < pruned.length; l++) {
        for (int i : pruned[l]) {
          compacted.masks().set(l, i, false);
        }
      }
      compacted.compact(compacted.compaction().without(compacted.masks(), l -> true));
      assertThat(compacted.parameters().get("w1").getShape().getShape()).containsExactly(4, 5);

      Map<String, Tensor> masks = new TreeMap<>();
      for (int l = 0; l < pruned.length; l++) {
        float[] mask = new float[config.hidden()[l]];
        for (int i = 0; i < mask.length; i++) {
          mask[i] = compacted.masks().kept(l, i) ? 1f : 0f;
        }
        masks.put("layer" + l, Tensor.ofFloats(mask, mask.length));
        masks.put(
            Checkpoint.COMPACTION_PREFIX + "layer" + l,
            Tensor.ofFloats(compacted.compaction().encode(l), mask.length));
      }
      Checkpoint checkpoint =
          Checkpoint.builder()
              .setStep(3)
              .setWeights(tensors(compacted.parameters().state()))
              .optMasks(masks)
              .setRunSpecJson("{}")
              .build();
      assertThat(checkpoint.compacted()).isTrue();
      Path out = dir.resolve("full.safetensors");
      SafetensorsExport.writeFullSize(
          out, checkpoint, compacted.structuresAsBuilt(), compacted.compaction());

      Map<String, Tensor> written = Safetensors.read(out).tensors();
      Map<String, Tensor> truth = tensors(full.parameters().state());
      zero(truth, "w0", 1, pruned[0]);
      zero(truth, "b0", 0, pruned[0]);
      zero(truth, "w1", 0, pruned[0]);
      zero(truth, "w1", 1, pruned[1]);
      zero(truth, "b1", 0, pruned[1]);
      zero(truth, "w2", 0, pruned[1]);
      for (Map.Entry<String, Tensor> e : truth.entrySet()) {
        assertThat(written.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
      assertThat(written.keySet())
          .containsExactlyInAnyOrder(
              "w0", "b0", "w1", "b1", "w2", "b2", "mask/layer0", "mask/layer1");
      assertThat(written.get("mask/layer0").floats()).containsExactly(0, 1, 0, 1, 1, 1, 0);
    }
  }

  /**
   * A ResNet-8 whose block-0 inner filters 1 and 5 were sliced out: the full-size file has them
   * back as zeros in {@code c1} (output channels), {@code b1} (weight, bias and the running
   * statistics, buffers that no structure slice names) and {@code c2} (input channels).
   */
  @Test
  void aCompactedResNetComesBackWithItsRunningStatisticsAtFullWidth() {
    Autograd.ensureEngine();
    ResNet56.Config config = new ResNet56.Config(1, 10);
    int[] pruned = {1, 5};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ResNet56 full = new ResNet56(config, manager, new RandomStreams(5).stream("init"));
        ResNet56 compacted = new ResNet56(config, manager, new RandomStreams(5).stream("init"))) {
      for (int i : pruned) {
        compacted.masks().set(0, i, false);
      }
      compacted.compact(compacted.compaction().without(compacted.masks(), l -> true));
      assertThat(compacted.parameters().buffers().get("blocks.0.b1.running_var").getShape().get(0))
          .isEqualTo(14);
      Map<String, Tensor> masks = new TreeMap<>();
      for (int l = 0; l < 3; l++) {
        masks.put(
            Checkpoint.COMPACTION_PREFIX + "layer" + l,
            Tensor.ofFloats(compacted.compaction().encode(l), compacted.masks().size(l)));
      }
      Checkpoint checkpoint =
          Checkpoint.builder()
              .setStep(3)
              .setWeights(tensors(compacted.parameters().state()))
              .optMasks(masks)
              .setRunSpecJson("{}")
              .build();
      Path out = dir.resolve("resnet.safetensors");
      SafetensorsExport.writeFullSize(
          out, checkpoint, compacted.structuresWithBuffers(), compacted.compaction());

      Map<String, Tensor> written = Safetensors.read(out).tensors();
      Map<String, Tensor> truth = tensors(full.parameters().state());
      zero(truth, "blocks.0.c1.weight", 0, pruned);
      for (String t : new String[] {"weight", "bias", "running_mean", "running_var"}) {
        zero(truth, "blocks.0.b1." + t, 0, pruned);
      }
      zero(truth, "blocks.0.c2.weight", 1, pruned);
      for (Map.Entry<String, Tensor> e : truth.entrySet()) {
        assertThat(written.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  private static Map<String, Tensor> tensors(Map<String, NDArray> state) {
    Map<String, Tensor> out = new TreeMap<>();
    state.forEach(
        (name, a) -> out.put(name, Tensor.ofFloats(a.toFloatArray(), a.getShape().getShape())));
    return out;
  }

  /** Sets {@code indices} along {@code axis} of tensor {@code name} (row-major) to zero. */
  private static void zero(Map<String, Tensor> tensors, String name, int axis, int[] indices) {
    Tensor t = tensors.get(name);
    long[] shape = t.shape();
    float[] v = t.floats();
    long inner = 1;
    for (int d = axis + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    for (int i = 0; i < v.length; i++) {
      int index = (int) ((i / inner) % shape[axis]);
      for (int p : indices) {
        if (index == p) {
          v[i] = 0f;
        }
      }
    }
    tensors.put(name, Tensor.ofFloats(v, shape));
  }
}
