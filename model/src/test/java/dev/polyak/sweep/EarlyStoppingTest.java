package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.RunFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sweep file's {@code early_stopping:} block: read, defaulted, and refused with its line. */
class EarlyStoppingTest {
  private static final Path BASE = Path.of("/sweeps");

  /** 900 steps, checkpoints every 100: rungs 100 and 300 fit every cell. */
  private static final String SWEEP =
      """
      model: bert-tiny
      data: shards
      steps: 900
      eval_every: 50
      checkpoint_every: 100
      seeds: 0..15
      """;

  private static EarlyStopping read(String block) {
    return SweepSpec.parse(SWEEP + block, BASE).earlyStopping();
  }

  private static void refused(String block, String key, String message) {
    assertThatThrownBy(() -> read(block))
        .isInstanceOf(RunFileException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((RunFileException) e).key()).isEqualTo(key));
  }

  @Test
  void theIssuesBlockReadsAsWritten() {
    EarlyStopping plan =
        read(
            """
            early_stopping:
              rule: asha
              signal: kappa
              rungs: [100, 300]
              reduction: 3
              group_by: config
            """);
    assertThat(plan)
        .isEqualTo(
            new EarlyStopping(
                EarlyStopping.Rule.ASHA,
                EarlyStopping.Signal.KAPPA,
                List.of(100L, 300L),
                3,
                "config"));
    assertThat(plan.isRung(300)).isTrue();
    assertThat(plan.isRung(200)).isFalse();
  }

  @Test
  void withoutTheBlockOrWithRuleNoneNothingStops() {
    assertThat(SweepSpec.parse(SWEEP, BASE).earlyStopping()).isEqualTo(EarlyStopping.none());
    EarlyStopping none = read("early_stopping: {rule: none}\n");
    assertThat(none.enabled()).isFalse();
    assertThat(none.isRung(100)).isFalse();
  }

  @Test
  void signalReductionAndGroupTakeTheirDefaults() {
    EarlyStopping plan = read("early_stopping: {rule: asha, rungs: [200]}\n");
    assertThat(plan.signal()).isEqualTo(EarlyStopping.Signal.EVAL);
    assertThat(plan.reduction()).isEqualTo(3.0);
    assertThat(plan.groupBy()).isEqualTo("config");
  }

  @Test
  void eachSignalKnowsWhichWayIsBetter() {
    assertThat(EarlyStopping.Signal.EVAL.lowerIsBetter("perplexity")).isTrue();
    assertThat(EarlyStopping.Signal.EVAL.lowerIsBetter("accuracy")).isFalse();
    assertThat(EarlyStopping.Signal.KAPPA.lowerIsBetter("accuracy")).isTrue();
    assertThat(EarlyStopping.Signal.PL_RATIO.lowerIsBetter("perplexity")).isFalse();
  }

  @Test
  void badValuesAreRefusedWithTheirKeyAndLine() {
    refused(
        "early_stopping: {rule: hyperband, rungs: [100]}\n",
        "early_stopping.rule",
        "line 7: early_stopping.rule: must be asha or none, got 'hyperband'");
    refused(
        "early_stopping: {rule: asha, signal: loss, rungs: [100]}\n",
        "early_stopping.signal",
        "must be eval, kappa, pl_ratio, got 'loss'");
    refused(
        "early_stopping: {rule: asha, rungs: [100], reduction: 1}\n",
        "early_stopping.reduction",
        "must be a number above 1");
    refused(
        "early_stopping: {rule: asha, rungs: [100], group_by: method}\n",
        "early_stopping.group_by",
        "must be config");
    refused("early_stopping: {rule: asha}\n", "early_stopping", "rule asha needs rungs");
    refused(
        "early_stopping: {rule: asha, rungs: [300, 100]}\n",
        "early_stopping.rungs[1]",
        "rungs must be strictly increasing, got 100 after 300");
    refused(
        "early_stopping: {rule: asha, rungs: [0]}\n",
        "early_stopping.rungs[0]",
        "a rung is a step, a whole number of at least 1");
  }

  @Test
  void rungsMustBeCheckpointedStepsBelowEveryCellsEnd() {
    refused(
        "early_stopping: {rule: asha, rungs: [150]}\n",
        "early_stopping.rungs",
        "rung 150 is not a multiple of checkpoint_every (100) in cell seed=0");
    refused(
        "early_stopping: {rule: asha, rungs: [100, 900]}\n",
        "early_stopping.rungs",
        "rung 900 is not below the 900 steps of cell seed=0");
  }

  @Test
  void anUnknownKeyIsNamed() {
    assertThatThrownBy(() -> read("early_stopping: {rule: asha, rungs: [100], patience: 3}\n"))
        .hasMessageContaining("unknown key 'patience' in early_stopping");
  }
}
