package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.testing.SharedData;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reduced-width VGG-16 (every width divided by 8) trained with the paper's recipe (SGD, momentum
 * 0.9, weight decay 5e-4, rate 0.1 with the step schedule, augmentation) for 400 steps (6.4 epochs)
 * on the genuine CIFAR-10 sample: 4,000 training images, evaluated on the 1,000 test images, where
 * chance is 10 % with a standard error of 0.95 %. Seen: 23.0 % with one intra-op thread (about 14
 * standard errors above chance); the test asks for 18 %.
 *
 * <p>Why not higher: VGG-16 with dropout learns slowly on 4,000 images. The same network and recipe
 * in PyTorch 1.13 ({@code torch.nn} modules, its own augmentation; a script run by hand on this
 * machine) reached 22.2 % at width/4 after 300 steps and 26.2 % at width/8 after 900 steps, while a
 * 2-layer MLP reaches 40 % in 300 steps through the same polyak trainer.
 */
class CifarTrainingTest {
  @TempDir Path dir;

  @Test
  void aReducedVgg16BeatsChanceClearlyOnTheCifar10Sample() throws Exception {
    Path input = Files.createDirectories(dir.resolve("cifar-10"));
    Files.copy(
        SharedData.file("cifar-sample/data_batch_1_first4000.bin"),
        input.resolve("data_batch_1.bin"));
    Files.copy(
        SharedData.file("cifar-sample/test_batch_first1000.bin"), input.resolve("test_batch.bin"));
    Path shards = Files.createDirectories(dir.resolve("shards"));
    TestShardSets.images(input, shards, CifarVariant.CIFAR10, new CifarConfig(2000, 0));
    RunSpec spec =
        RunSpec.parse(
            String.join(
                "\n",
                "model: vgg16",
                "model_options: {width_divisor: 8}",
                "data: " + shards,
                "steps: 400",
                "batch_size: 64",
                "eval_every: 100",
                "eval_samples: 1000",
                "checkpoint_every: 400",
                ""),
            dir);

    List<MetricRecord> records = new ArrayList<>();
    TrainingRun.Result result =
        TrainingRun.run(spec, dir.resolve("run"), Device.cpu(), records::add);

    records.forEach(
        r ->
            System.out.printf(
                "vgg16/8 step %d: train loss %.3f, test loss %.3f, test accuracy %.3f, %.0f ms/step%n",
                r.step(), r.trainLoss(), r.evalLoss(), r.evalMetric(), r.stepMillis()));
    assertThat(result.status()).isEqualTo(TrainingRun.Status.FINISHED);
    MetricRecord last = result.last().orElseThrow();
    assertThat(last.step()).isEqualTo(400);
    assertThat(last.evalMetric()).as("test accuracy (chance 0.10)").isGreaterThan(0.18);
    assertThat(last.trainLoss()).isLessThan(records.get(0).trainLoss());
  }
}
