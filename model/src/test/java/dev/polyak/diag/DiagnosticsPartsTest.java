package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Bert;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Diagnostics#run} computes every structure's kernel and the rest's in one set of passes;
 * the distributed stage computes them as parts ({@link Diagnostics#structures}, {@link
 * Diagnostics#model}) and assembles them. Both must give bitwise the same report.
 */
class DiagnosticsPartsTest {
  @Test
  void oneProcessGivesItsPartsBitwiseInOnePassFewer() {
    RandomStreams streams = new RandomStreams(11);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert model =
            new Bert(new Bert.Config(40, 16, 2, 2, 32, 8), manager, streams.stream("init"))) {
      // the tied embedding gets gradients from the lookup and from the decoder
      ProbeObjective objective =
          TestObjectives.randomMlm(model, streams.stream("data"), 6, b -> new int[] {2, 6});
      int[] probes = {0, 1, 2, 3, 4, 5};
      // everything in one pass, then chunks of a few rows packed into many passes; both paths
      for (KernelPath path : new KernelPath[] {KernelPath.PER_SAMPLE, KernelPath.AUTO}) {
        for (long budget : new long[] {1L << 30, 4L << 10}) {
          DiagnosticsOptions options =
              DiagnosticsOptions.defaults()
                  .withProbeSamples(6)
                  .withHutchinsonProbes(2)
                  .withMemoryBudget(budget)
                  .withKernelPath(path);
          DiagnosticsReport one = Diagnostics.run(objective, probes, 7, 3, options);
          DiagnosticsReport parts =
              Diagnostics.assemble(
                  Diagnostics.Layout.of(objective.model()),
                  probes,
                  7,
                  3,
                  options,
                  List.of(Diagnostics.structures(objective, options, s -> true)),
                  Diagnostics.model(objective, options, 3));
          assertThat(one.structures()).hasSize(4).hasSameSizeAs(parts.structures());
          for (int s = 0; s < one.structures().size(); s++) {
            assertThat(one.structures().get(s).spectrum().eigenvalues())
                .as("%s, budget %d, structure %d", path, budget, s)
                .containsExactly(parts.structures().get(s).spectrum().eigenvalues());
          }
          assertThat(one.whole().eigenvalues()).containsExactly(parts.whole().eigenvalues());
          assertThat(one.conditioning()).isEqualTo(parts.conditioning());
          assertThat(one.wholeTrace()).isEqualTo(parts.wholeTrace());
          if (budget == 1L << 30 && path == KernelPath.PER_SAMPLE) {
            assertThat(parts.passes()).isEqualTo(2);
            assertThat(one.passes()).isEqualTo(1);
          } else {
            assertThat(one.passes()).isLessThan(parts.passes());
          }
        }
      }
    }
  }
}
