package dev.polyak.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.prune.PruningMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Spelling and validation of the kernel option, and where its default applies. */
class KernelKindTest {
  @Test
  void parsesEveryKindAndWritesItBackTheSameWay() {
    for (String text : new String[] {"pntk", "target-logit", "projected:16", "loss"}) {
      assertThat(KernelKind.parse(text).toString()).isEqualTo(text);
    }
    assertThat(KernelKind.parse(" Projected:4 ")).isEqualTo(KernelKind.projected(4));
    assertThat(KernelKind.parse("projected:4").outputsPerProbe()).isEqualTo(4);
    assertThat(KernelKind.PNTK.outputsPerProbe()).isEqualTo(1);
  }

  @Test
  void refusesWhatIsNotAKernelNamingTheAllowedValues() {
    for (String text :
        new String[] {"ntk", "projected", "projected:0", "projected:-2", "projected:x"}) {
      assertThatThrownBy(() -> KernelKind.parse(text))
          .hasMessage(
              "kernel must be pntk, target-logit, projected:k"
                  + " (k >= 1) or loss, got '"
                  + text
                  + "'");
    }
  }

  @Test
  void pntkIsTheDefaultOfTheDiagnosticsAndOfTheKernelPruningMethods() {
    assertThat(DiagnosticsOptions.defaults().kernel()).isEqualTo(KernelKind.PNTK);
    assertThat(PruningMethod.KAPPA_RANK.kernel(Map.of())).contains(KernelKind.PNTK);
    assertThat(PruningMethod.PL_GATE.kernel(Map.of("kernel", "projected:8")))
        .contains(KernelKind.projected(8));
    assertThat(PruningMethod.MAGNITUDE.kernel(Map.of())).isEmpty();
    assertThat(PruningMethod.KAPPA_RANK.describe(Map.of("kernel", "loss")))
        .containsEntry("kernel", "loss");
    assertThatThrownBy(() -> PruningMethod.KAPPA_RANK.validate(Map.of("kernel", "ntk")))
        .hasMessageStartingWith(
            "pruning.options.kernel must be pntk, target-logit, projected:k (k >= 1) or loss");
    assertThatThrownBy(() -> PruningMethod.SNIP.validate(Map.of("kernel", "pntk")))
        .hasMessageStartingWith("pruning.options.kernel is not an option of snip");
  }
}
