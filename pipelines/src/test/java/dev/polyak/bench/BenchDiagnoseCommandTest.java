package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code polyak bench diagnose}'s bad options: exit code 2 naming the option, before any work. */
class BenchDiagnoseCommandTest {
  @Test
  void aBadListValueNamesItsOption() {
    BenchRun kernels = BenchRun.of("diagnose", "--kernels", "pntk,ntk");
    assertThat(kernels.code()).isEqualTo(2);
    assertThat(kernels.err()).contains("--kernels: kernel must be pntk").contains("got 'ntk'");

    BenchRun paths = BenchRun.of("diagnose", "--kernel-paths", "fast");
    assertThat(paths.code()).isEqualTo(2);
    assertThat(paths.err()).contains("--kernel-paths: ").contains("'fast'");

    BenchRun methods = BenchRun.of("diagnose", "--beta-methods", "arnoldi");
    assertThat(methods.code()).isEqualTo(2);
    assertThat(methods.err())
        .contains("--beta-methods: beta method must be lanczos or power, got 'arnoldi'");

    BenchRun tolerances = BenchRun.of("diagnose", "--beta-tolerances", "1e-2,0");
    assertThat(tolerances.code()).isEqualTo(2);
    assertThat(tolerances.err()).contains("--beta-tolerances above 0");
    assertThat(kernels.out() + paths.out() + methods.out() + tolerances.out())
        .doesNotContain("machine:");
  }
}
