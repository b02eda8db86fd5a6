package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.nn.MaskedModel;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code polyak export} of convolutional runs whose pruned filters were sliced out (a reduced
 * VGG-16 pruned by fpgm, a ResNet-8 by chip): the compacted file holds the kept filters only, in
 * the convolutions, their batch norms' weights, biases and running statistics, and the next layer's
 * input channels, and a plain numpy forward pass written from the models' description alone (test
 * resource {@code export/cnn_forward.py}) gives polyak's evaluation-mode logits from it and from
 * its {@code --full-size} form.
 */
class ExportCompactedFiltersTest {
  @TempDir static Path dir;
  static Path shards;

  private static final int IMAGES = 3;

  @BeforeAll
  static void data() throws Exception {
    shards = TestShardSets.syntheticCifar10(dir, 11, 32);
  }

  /** 12 steps at batch 16; half of each layer's filters pruned at step 6, then compacted. */
  private static Path train(String name, String model, String method) {
    RunSpec spec =
        RunSpec.parse(
            model
                + "\npruning: {method: "
                + method
                + ", step: 6, ratio: 0.5, scoring_samples: 16}\n"
                + "learning_rate: 0.05\nseed: 3\nsteps: 12\nbatch_size: 16\neval_every: 6\n"
                + "checkpoint_every: 6\neval_samples: 16\ndata: "
                + shards
                + "\n",
            dir);
    Path run = dir.resolve(name);
    assertThat(TrainingRun.run(spec, run, Device.cpu(), r -> {}).pruneSteps()).containsExactly(6L);
    return run.resolve("checkpoints/ckpt-0000000012.safetensors");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vgg16", "resnet"})
  void numpyRunsTheCompactedFiltersExportAsPolyakDoes(String family) throws Exception {
    assumeThat(dev.polyak.testing.Python.hasNumpy())
        .as("python3 with numpy is installed (the numpy forward pass needs it)")
        .isTrue();
    boolean vgg = family.equals("vgg16");
    Path ckpt =
        vgg
            ? train(family, "model: vgg16\nmodel_options: {width_divisor: 16}", "fpgm")
            : train(family, "model: resnet56\nmodel_options: {blocks_per_stage: 1}", "chip");
    Path compact = export(ckpt, family + "-compact.safetensors");
    Path full = export(ckpt, family + "-full.safetensors", "--full-size");

    // the first pruned group's convolution, batch norm and next layer, in both files
    String conv = vgg ? "features.0" : "blocks.0.c1";
    String norm = vgg ? "features.1" : "blocks.0.b1";
    String next = vgg ? "features.3" : "blocks.0.c2";
    Map<String, Tensor> c = Safetensors.read(compact).tensors();
    Map<String, Tensor> f = Safetensors.read(full).tensors();
    float[] mask = c.get("mask/layer0").floats();
    long kept = IntStream.range(0, mask.length).filter(i -> mask[i] != 0f).count();
    assertThat(kept).isEqualTo(mask.length / 2);
    assertThat(c.get(conv + ".weight").shape()[0]).isEqualTo(kept);
    assertThat(c.get(next + ".weight").shape()[1]).isEqualTo(kept);
    assertThat(f.get(conv + ".weight").shape()[0]).isEqualTo(mask.length);
    assertThat(f.get(next + ".weight").shape()[1]).isEqualTo(mask.length);
    for (String part : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
      assertThat(c.get(norm + part).shape()).as(norm + part).containsExactly(kept);
      assertThat(f.get(norm + part).shape()).as(norm + part).containsExactly(mask.length);
    }

    float[] images = images();
    float[][] polyak = polyakLogits(ckpt, images);
    Path input = dir.resolve(family + "-images.txt");
    Files.writeString(
        input,
        IntStream.range(0, IMAGES)
            .mapToObj(
                i ->
                    IntStream.range(i * 3072, (i + 1) * 3072)
                        .mapToObj(k -> Float.toString(images[k]))
                        .collect(Collectors.joining(" ")))
            .collect(Collectors.joining("\n")));
    for (Path file : List.of(compact, full)) {
      // polyak in float32 against numpy in float64, through 13 (VGG) or 9 (ResNet-8) convolutions
      // with batch norm: within 1e-6 of the largest logit. Measured: 4.5e-8 of it (VGG) and
      // 1.5e-7 (ResNet); the same script with batch norm's eps 1e-3 instead of 1e-5 is off by
      // 3.3e-4 and 5.6e-3, so the bound tells a wrong detail apart.
      ExportChecks.assertClose(
          ExportChecks.numpy(dir, "cnn_forward.py", file, input.toString()),
          polyak,
          1e-6,
          file.getFileName().toString());
    }
  }

  /** Deterministic normalised-looking images in [-2, 2], NCHW. */
  private static float[] images() {
    float[] v = new float[IMAGES * 3 * 32 * 32];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (2 * Math.sin(0.37 * i + 0.011 * i * i % 7));
    }
    return v;
  }

  /** Polyak's evaluation-mode logits of the checkpoint, restored as a resume restores it. */
  private static float[][] polyakLogits(Path ckpt, float[] images) {
    try (RestoredRun restored = RestoredRun.open(ckpt, null, Device.cpu());
        NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      MaskedModel model = restored.trainer().model();
      assertThat(model.compaction().isIdentity()).isFalse();
      model.evaluation();
      float[] flat =
          model.forward(manager.create(images, new Shape(IMAGES, 3, 32, 32))).toFloatArray();
      int classes = flat.length / IMAGES;
      float[][] out = new float[IMAGES][classes];
      for (int i = 0; i < IMAGES; i++) {
        System.arraycopy(flat, i * classes, out[i], 0, classes);
      }
      return out;
    }
  }

  private static Path export(Path ckpt, String name, String... extra) {
    return ExportChecks.export(dir, ckpt, name, extra);
  }
}
