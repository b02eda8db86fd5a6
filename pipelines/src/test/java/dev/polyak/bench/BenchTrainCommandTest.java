package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Bert;
import dev.polyak.random.RandomStreams;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTrainCommandTest {
  /**
   * bert-small's matrix-product FLOPs per training token, worked out by hand from the shapes (h
   * 256, 4 layers, FFN 1024, T 128, V 33,278): per layer and token Q, K, V and the output
   * projection 8h², scores and context 4Th, the FFN 4h·FFN; the MLM head 2h² + 2hV at 15 % of the
   * positions; times 3 for the backward pass.
   */
  @Test
  void trainingFlopsPerTokenOfBertSmallAreTheHandCount() {
    Bert.Config c = BenchTrainCommand.bertSmall();
    double h = 256;
    double perLayer = 8 * h * h + 4 * 128 * h + 4 * h * 1024;
    double head = 2 * h * h + 2 * h * 33_278;
    double expected = 3 * (4 * perLayer + 0.15 * head);
    assertThat(expected).isCloseTo(28.17e6, within(0.01e6));
    try (NDManager manager = NDManager.newBaseManager();
        Bert bert = new Bert(c, manager, new RandomStreams(0).stream(RandomStreams.INIT))) {
      assertThat(BenchTrainCommand.trainingFlopsPerToken(bert.flopsPerSample(), c, 0.15))
          .isCloseTo(expected, within(1e-6 * expected));
    }
  }

  /**
   * Ratios pair by pair, by hand: 100/50, 120/100, 90/100 and 200/100 are 2.0, 1.2, 0.9 and 2.0,
   * median 1.6; the ratio of the medians (110 / 100 = 1.1) would be another figure. A round whose
   * reference failed (NaN) is left out.
   */
  @Test
  void ratiosAreTakenPairByPairAndTheirMedianReported() {
    Spread q =
        BenchTrainCommand.pairedRatios(
                new double[] {100, 120, 90, 200, 70}, new double[] {50, 100, 100, 100, Double.NaN})
            .orElseThrow();
    assertThat(new double[] {q.median(), q.min(), q.max(), q.count()})
        .containsExactly(new double[] {1.6, 0.9, 2.0, 4}, within(1e-12));
    assertThat(BenchTrainCommand.pairedRatios(new double[] {1}, new double[] {Double.NaN}))
        .isEmpty();
  }

  /**
   * Two rounds against a stand-in reference folder whose run.sh reports 50 images/s on its first
   * call and 200 on its second: the rounds alternate (polyak, reference, polyak, reference) and the
   * summary's median is the mean of the two printed ratios.
   */
  @Test
  void roundsAlternateWithTheReferenceAndSummarizeThePairs(@TempDir Path reference)
      throws Exception {
    Files.writeString(
        reference.resolve("run.sh"),
        """
        #!/bin/bash
        dir="$(dirname "$0")"
        echo "$1 $2 $3" >> "$dir/calls"
        if [ "$(wc -l < "$dir/calls")" -eq 1 ]; then rate=50.0; else rate=200.0; fi
        echo "RESULT {\\"train_img_per_s\\": $rate}"
        """);
    PrintStream saved = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    BenchRun run;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      run =
          BenchRun.of(
              "train",
              "--model",
              "resnet56",
              "--threads",
              "1",
              "--steps",
              "1",
              "--rounds",
              "2",
              "--reference",
              reference.toString());
    } finally {
      System.setOut(saved);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(run.code()).as(run.err() + out).isZero();
    assertThat(Files.readAllLines(reference.resolve("calls")))
        .containsExactly("1 cnn.py resnet56", "1 cnn.py resnet56");

    List<String> order = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    Matcher line =
        Pattern.compile(
                "resnet56, 1 thread\\(s\\): (?:([0-9.]+) images/s, step"
                    + "|PyTorch reference ([0-9.]+) images/s, ratio polyak / reference ([0-9.]+))")
            .matcher(out);
    double polyak = Double.NaN;
    while (line.find()) {
      if (line.group(1) != null) {
        polyak = Double.parseDouble(line.group(1));
        order.add("polyak");
      } else {
        order.add("reference " + line.group(2));
        ratios.add(polyak / Double.parseDouble(line.group(2)));
      }
    }
    assertThat(order).containsExactly("polyak", "reference 50.0", "polyak", "reference 200.0");
    Matcher summary =
        Pattern.compile(
                "resnet56, 1 thread\\(s\\): 2 rounds, polyak median [0-9.]+ images/s .*pair by"
                    + " pair: median ([0-9.]+) \\(min ([0-9.]+), max ([0-9.]+)\\) of 2 pairs")
            .matcher(out);
    assertThat(summary.find()).as(out).isTrue();
    double mean = (ratios.get(0) + ratios.get(1)) / 2;
    assertThat(Double.parseDouble(summary.group(1))).isCloseTo(mean, within(0.01));
    assertThat(Double.parseDouble(summary.group(2)))
        .isCloseTo(Math.min(ratios.get(0), ratios.get(1)), within(0.01));
    assertThat(Double.parseDouble(summary.group(3)))
        .isCloseTo(Math.max(ratios.get(0), ratios.get(1)), within(0.01));
  }
}
