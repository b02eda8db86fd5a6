package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.testing.SharedData;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The genuine CIFAR-10 samples of shared/data (the first 4,000 records of data_batch_1 as train,
 * the first 1,000 of test_batch as test) read back and augmented. Skipped without the real data.
 */
class RealCifarShardSetTest {
  @TempDir Path dir;

  @Test
  void readsGenuineCifar10() throws Exception {
    Path train = SharedData.file("cifar-sample/data_batch_1_first4000.bin");
    Path test = SharedData.file("cifar-sample/test_batch_first1000.bin");
    Path input = Files.createDirectory(dir.resolve("in"));
    Files.copy(train, input.resolve("data_batch_1.bin"));
    Files.copy(test, input.resolve("test_batch.bin"));
    Path out = Files.createDirectory(dir.resolve("out"));
    TestShardSets.images(input, out, CifarVariant.CIFAR10, new CifarConfig(1500, 0));

    ShardSet set = ShardSet.open(out);
    ImageDataset testSet = set.images("test");
    assertThat(set.images("train").size()).isEqualTo(4000);
    assertThat(testSet.size()).isEqualTo(1000);
    // test record 0: label 3 (cat), first pixel (158, 112, 49)
    assertThat(testSet.labels()[0]).isEqualTo(3);
    byte[] first = testSet.images()[0];
    assertThat(new int[] {first[0] & 0xFF, first[1024] & 0xFF, first[2048] & 0xFF})
        .containsExactly(158, 112, 49);
    // train statistics in 0-255 units, near CIFAR-10's published (125.3, 123.0, 113.9)
    assertThat(testSet.mean()[0]).isBetween(115f, 135f);
    assertThat(testSet.std()[2]).isBetween(55f, 75f);

    float[] eval = CifarAugment.apply(first, null, testSet.mean(), testSet.std(), false);
    assertThat(eval[0]).isEqualTo((158 - testSet.mean()[0]) / testSet.std()[0]);
  }
}
