package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Bert;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.MlmModel;
import dev.polyak.nn.Switch;
import dev.polyak.random.RandomStreams;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The NTK diagnostics of a compacted BERT or Switch (pruned heads and experts sliced out of its
 * tensors) are those of the masked model they came from: every kept head's spectrum and the whole
 * model's, to float rounding; a pruned head is reported as pruned, with the zero kernel a masked
 * head has (its slices get no gradient), not as a missing or failed structure.
 */
class CompactedDiagnosticsTest {
  private static final DiagnosticsOptions OPTIONS =
      DiagnosticsOptions.defaults()
          .withProbeSamples(6)
          .withHutchinsonProbes(0)
          .withSmoothness(new HessianEigenvalue.Settings(1e-3, 0, false));

  @Test
  void keptHeadsHaveTheMaskedModelsSpectraAndPrunedOnesAreReportedPruned() {
    Autograd.ensureEngine();
    Bert.Config config = new Bert.Config(50, 16, 2, 4, 32, 8);
    DiagnosticsOptions options = OPTIONS;
    int[] probes = {0, 1, 2, 3, 4, 5};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Bert masked = new Bert(config, manager, new RandomStreams(8).stream("init"));
        Bert compacted = new Bert(config, manager, new RandomStreams(8).stream("init"))) {
      for (Bert model : List.of(masked, compacted)) {
        model.masks().set(0, 2, false);
        model.masks().set(1, 0, false);
        model.masks().set(1, 1, false);
      }
      assertSameDiagnostics(
          masked,
          compacted,
          probes,
          options,
          List.of("layer0/head2", "layer1/head0", "layer1/head1"));
    }
  }

  /**
   * A Switch with two of layer 0's four experts and one head pruned: the kept structures' spectra
   * are the masked model's, the pruned experts are reported pruned with a zero kernel.
   */
  @Test
  void aSwitchWithExpertsSlicedOutReportsThemPruned() {
    Autograd.ensureEngine();
    Switch.Config config = new Switch.Config(50, 16, 2, 2, 32, 8, 4, 1.5, 0.01);
    int[] probes = {0, 1, 2, 3, 4, 5};
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch masked = new Switch(config, manager, new RandomStreams(8).stream("init"));
        Switch compacted = new Switch(config, manager, new RandomStreams(8).stream("init"))) {
      for (Switch model : List.of(masked, compacted)) {
        model.masks().set(1, 0, false);
        model.masks().set(model.expertGroup(0), 1, false);
        model.masks().set(model.expertGroup(0), 3, false);
      }
      assertSameDiagnostics(
          masked,
          compacted,
          probes,
          OPTIONS,
          List.of("layer1/head0", "layer0/expert1", "layer0/expert3"));
    }
  }

  /**
   * Compacts {@code compacted} (pruned like {@code masked}) and compares both models' diagnostics:
   * the same structures in the same order, each kept one's spectrum to 1e-4 relative, the pruned
   * ones (exactly {@code pruned}) with a zero kernel and no parameters, and the whole model's.
   */
  private static <M extends MaskedModel & MlmModel> void assertSameDiagnostics(
      M masked, M compacted, int[] probes, DiagnosticsOptions options, List<String> pruned) {
    int n = masked.structures().size();
    compacted.compact(compacted.compaction().without(compacted.masks(), l -> true));
    DiagnosticsReport expected = report(masked, probes, options);
    DiagnosticsReport actual = report(compacted, probes, options);

    assertThat(actual.structures()).hasSameSizeAs(expected.structures()).hasSize(n);
    for (int s = 0; s < n; s++) {
      DiagnosticsReport.StructureDiagnostics e = expected.structures().get(s);
      DiagnosticsReport.StructureDiagnostics a = actual.structures().get(s);
      assertThat(a.id()).isEqualTo(e.id());
      assertThat(a.kept()).as(a.id()).isEqualTo(e.kept());
      double scale = 1e-4 * Math.max(1e-12, e.spectrum().lambdaMax());
      assertThat(a.spectrum().lambdaMax())
          .as(a.id())
          .isCloseTo(e.spectrum().lambdaMax(), within(scale));
      assertThat(a.spectrum().lambdaMin())
          .as(a.id())
          .isCloseTo(e.spectrum().lambdaMin(), within(scale));
      if (!e.kept()) {
        assertThat(a.spectrum().lambdaMax()).as(a.id() + " pruned: zero kernel").isZero();
        assertThat(a.parameters()).as(a.id() + " owns nothing once sliced out").isZero();
      }
    }
    assertThat(actual.structures().stream().filter(s -> !s.kept()).map(s -> s.id()))
        .containsExactlyElementsOf(pruned);
    double whole = expected.whole().lambdaMax();
    assertThat(actual.whole().lambdaMax()).isCloseTo(whole, within(1e-4 * whole));
  }

  private static DiagnosticsReport report(
      MlmModel model, int[] probes, DiagnosticsOptions options) {
    ProbeObjective objective =
        TestObjectives.randomMlm(
            model, new RandomStreams(9).stream("data"), probes.length, b -> new int[] {b % 8, 3});
    return Diagnostics.run(objective, probes, 0, 1, options);
  }
}
