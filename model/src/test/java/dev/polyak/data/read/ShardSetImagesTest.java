package dev.polyak.data.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.BadInputException;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.testing.TestShardSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic CIFAR shard sets read back against the source binary files. */
class ShardSetImagesTest {
  @TempDir Path dir;

  /** The records of the official files of a split, in order. */
  private static List<byte[]> records(Path input, CifarVariant variant, String split)
      throws Exception {
    List<byte[]> records = new ArrayList<>();
    for (String name : variant.files(split)) {
      byte[] bytes = Files.readAllBytes(input.resolve(name));
      for (int i = 0; i < bytes.length; i += variant.recordBytes()) {
        records.add(Arrays.copyOfRange(bytes, i, i + variant.recordBytes()));
      }
    }
    return records;
  }

  @Test
  void cifar10ImagesLabelsAndTrainStatistics() throws Exception {
    Path input = dir.resolve("in");
    Path out = Files.createDirectory(dir.resolve("out"));
    SyntheticCifar.write(input, CifarVariant.CIFAR10, 9, 30);
    TestShardSets.images(input, out, CifarVariant.CIFAR10, new CifarConfig(40, 0));

    ShardSet set = ShardSet.open(out);
    assertThat(set.format()).isEqualTo(ShardSetFormat.CIFAR);
    List<byte[]> train = records(input, CifarVariant.CIFAR10, "train");
    double[] sum = new double[3];
    double[] sumSquares = new double[3];
    for (byte[] r : train) {
      for (int i = 1; i < r.length; i++) {
        int v = r[i] & 0xFF;
        sum[(i - 1) / 1024] += v;
        sumSquares[(i - 1) / 1024] += (double) v * v;
      }
    }
    for (String split : List.of("train", "test")) {
      ImageDataset data = set.images(split);
      List<byte[]> expected = records(input, CifarVariant.CIFAR10, split);
      assertThat(data.size()).isEqualTo(expected.size());
      assertThat(data.coarseLabels()).isNull();
      assertThat(data.classCount()).isEqualTo(10);
      for (int i = 0; i < expected.size(); i++) {
        assertThat(data.labels()[i]).isEqualTo(expected.get(i)[0]);
        assertThat(data.images()[i]).isEqualTo(Arrays.copyOfRange(expected.get(i), 1, 3073));
      }
      double pixels = train.size() * 1024.0;
      for (int c = 0; c < 3; c++) {
        double mean = sum[c] / pixels;
        assertThat((double) data.mean()[c])
            .as("mean of channel %d for %s", c, split)
            .isCloseTo(mean, within(1e-3));
        assertThat((double) data.std()[c])
            .isCloseTo(Math.sqrt(sumSquares[c] / pixels - mean * mean), within(1e-3));
      }
    }
  }

  @Test
  void cifar100HasCoarseLabels() throws Exception {
    Path input = dir.resolve("in");
    Path out = Files.createDirectory(dir.resolve("out"));
    SyntheticCifar.write(input, CifarVariant.CIFAR100, 2, 25);
    TestShardSets.images(input, out, CifarVariant.CIFAR100, new CifarConfig(10, 0));

    ImageDataset test = ShardSet.open(out).images("test");
    List<byte[]> expected = records(input, CifarVariant.CIFAR100, "test");
    assertThat(test.classCount()).isEqualTo(100);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(test.coarseLabels()[i]).isEqualTo(expected.get(i)[0]);
      assertThat(test.labels()[i]).isEqualTo(expected.get(i)[1]);
    }
  }

  @Test
  void aSetWithoutTrainHasNoStatisticsToNormaliseWith() throws Exception {
    Path input = dir.resolve("in");
    Path out = Files.createDirectory(dir.resolve("out"));
    SyntheticCifar.write(input, CifarVariant.CIFAR10, 9, 5);
    for (String name : CifarVariant.CIFAR10.files("train")) {
      Files.delete(input.resolve(name));
    }
    TestShardSets.images(input, out, CifarVariant.CIFAR10, new CifarConfig(40, 0));
    ShardSet set = ShardSet.open(out);
    assertThatThrownBy(() -> set.images("test"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("manifest.json")
        .hasMessageContaining("no train split");
  }
}
