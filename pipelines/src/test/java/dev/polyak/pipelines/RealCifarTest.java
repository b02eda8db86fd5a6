package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.schemas.ImageRecord;
import dev.polyak.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Genuine CIFAR-10 and CIFAR-100 records (shared/data/cifar-sample), linked under their official
 * names, preprocessed on embedded Flink and checked against the data's README and an independent
 * pass over the raw bytes.
 */
class RealCifarTest {
  @TempDir Path dir;

  private Path link(String folder, String official, String sample) throws IOException {
    Path input = Files.createDirectories(dir.resolve(folder));
    Files.createSymbolicLink(
        input.resolve(official), SharedData.file("cifar-sample/" + sample).toAbsolutePath());
    return input;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> split(Map<String, Object> manifest, String name) {
    return (Map<String, Object>) ((Map<String, Object>) manifest.get("splits")).get(name);
  }

  @Test
  void cifar10ClassCountsPixelsAndChannelStatistics() throws IOException {
    Path input = link("c10", "data_batch_1.bin", "data_batch_1_first4000.bin");
    link("c10", "test_batch.bin", "test_batch_first1000.bin");
    Path out = dir.resolve("out10");
    PreprocessPipeline.run(
        new PreprocessPipeline.CifarJob(
            input, out, Optional.empty(), new CifarConfig(1500, 0), false),
        TestJobs.flink(2));
    Map<String, Object> manifest = Manifests.read(out.resolve("manifest.json"));
    assertThat(split(manifest, "train").get("label_counts"))
        .isEqualTo(List.of(396, 366, 420, 384, 422, 393, 414, 385, 407, 413));
    assertThat(split(manifest, "test").get("label_counts"))
        .isEqualTo(List.of(103, 89, 100, 103, 90, 86, 112, 102, 106, 109));

    List<ImageRecord> test = TestJobs.<ImageRecord>readShards(out, "test-");
    assertThat(test).hasSize(1000);
    assertThat(test.get(0).getLabel()).isEqualTo(3);
    assertThat(test.get(0).getCoarseLabel()).isNull();
    assertThat(test.get(0).getSourceFile()).isEqualTo("test_batch.bin");
    byte[] image = bytes(test.get(0).getImage());
    assertThat(image).hasSize(3072);
    assertThat(new int[] {image[0] & 0xFF, image[1024] & 0xFF, image[2048] & 0xFF})
        .containsExactly(158, 112, 49);
    assertThat(test.get(1).getLabel()).isEqualTo(8);

    // Every row is the raw record, and the per-channel mean/std equal a direct pass over the file.
    byte[] raw = Files.readAllBytes(SharedData.file("cifar-sample/data_batch_1_first4000.bin"));
    List<ImageRecord> train = TestJobs.<ImageRecord>readShards(out, "train-");
    assertThat(train).hasSize(4000);
    double[] sum = new double[3];
    double[] sumSquares = new double[3];
    for (int r = 0; r < 4000; r++) {
      assertThat(train.get(r).getIndex()).isEqualTo(r);
      assertThat(train.get(r).getLabel()).isEqualTo(raw[r * 3073] & 0xFF);
      assertThat(bytes(train.get(r).getImage()))
          .isEqualTo(java.util.Arrays.copyOfRange(raw, r * 3073 + 1, (r + 1) * 3073));
      for (int i = 0; i < 3072; i++) {
        int v = raw[r * 3073 + 1 + i] & 0xFF;
        sum[i / 1024] += v;
        sumSquares[i / 1024] += (double) v * v;
      }
    }
    @SuppressWarnings("unchecked")
    List<Double> mean = (List<Double>) split(manifest, "train").get("channel_mean");
    @SuppressWarnings("unchecked")
    List<Double> std = (List<Double>) split(manifest, "train").get("channel_std");
    double n = 4000.0 * 1024;
    for (int c = 0; c < 3; c++) {
      double mu = sum[c] / n;
      assertThat(mean.get(c)).isCloseTo(mu, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(std.get(c))
          .isCloseTo(
              Math.sqrt(sumSquares[c] / n - mu * mu), org.assertj.core.data.Offset.offset(1e-9));
    }
    // CIFAR-10's published training-set means are about (125.3, 123.0, 113.9); 4,000 images come
    // close.
    assertThat(mean.get(0)).isBetween(120.0, 131.0);
    assertThat(mean.get(2)).isBetween(108.0, 120.0);
  }

  @Test
  void cifar100CoarseAndFineLabels() throws IOException {
    Path input = link("c100", "train.bin", "cifar100_train_first5.bin");
    link("c100", "test.bin", "cifar100_test_first5.bin");
    Path out = dir.resolve("out100");
    PreprocessPipeline.run(
        new PreprocessPipeline.CifarJob(
            input, out, Optional.empty(), CifarConfig.defaults(), false),
        TestJobs.direct(2));
    List<ImageRecord> train = TestJobs.<ImageRecord>readShards(out, "train-");
    List<ImageRecord> test = TestJobs.<ImageRecord>readShards(out, "test-");
    assertThat(train)
        .extracting(r -> r.getCoarseLabel() + "," + r.getLabel())
        .containsExactly("11,19", "15,29", "4,0", "14,11", "1,1");
    assertThat(test)
        .extracting(r -> r.getCoarseLabel() + "," + r.getLabel())
        .containsExactly("10,49", "10,33", "0,72", "4,51", "10,71");
    Map<String, Object> manifest = Manifests.read(out.resolve("manifest.json"));
    assertThat(manifest.get("config").toString()).contains("variant=cifar100");
    @SuppressWarnings("unchecked")
    List<Integer> coarse = (List<Integer>) split(manifest, "test").get("coarse_label_counts");
    assertThat(coarse.get(10)).isEqualTo(3);
    assertThat(coarse).hasSize(20);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }
}
