package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.RunFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep file's claims: block, parsed with the sweep and checked against its cells; every refusal
 * names the claim's key (as {@link RunFileException#key()} and in the message, with its line).
 */
class ClaimsTest {
  private static final Path BASE = Path.of("/sweeps");

  /** bert-tiny × {dense, pl-gate, random} × ratio × 3 seeds, the claims block appended. */
  private static String sweep(String ratios, String claims) {
    return """
    model: bert-tiny
    data: shards
    steps: 100
    pruning: {step: 50}
    grid:
      method: [dense, pl-gate, random]
      ratio: %s
      seed: 0..2
    claims:
    %s\
    """
        .formatted(ratios, claims.indent(2));
  }

  private static final String PLGATE_VS_DENSE =
      """
      - id: plgate-lower
        text: pl-gate reaches a lower final perplexity than dense
        statistic: final_metric
        config: {method: pl-gate}
        against: {method: dense}
        direction: lower
        paper: Table 1
      """;

  /** The claim above with {@code key: value} replaced (or added). */
  private static String with(String key, String value) {
    String replaced =
        PLGATE_VS_DENSE.replaceAll("(?m)^(  |- )" + key + ": .*$", "$1" + key + ": " + value);
    return replaced.equals(PLGATE_VS_DENSE)
        ? PLGATE_VS_DENSE + "  " + key + ": " + value + "\n"
        : replaced;
  }

  private static RunFileException refused(String yaml) {
    Throwable thrown =
        org.assertj.core.api.Assertions.catchThrowable(() -> SweepSpec.parse(yaml, BASE));
    assertThat(thrown).isInstanceOf(RunFileException.class);
    return (RunFileException) thrown;
  }

  @Test
  void aClaimIsReadWithItsStatisticSelectorsAndDirection() {
    SweepSpec spec =
        SweepSpec.parse(
            sweep(
                "[0.5]",
                PLGATE_VS_DENSE
                    + """
                    - id: random-at-50
                      text: random is worse than pl-gate at step 50
                      statistic: metric_at_step:50
                      config: {method: random, ratio: 0.5}
                      against: {method: pl-gate}
                      direction: higher
                    """),
            BASE);

    assertThat(spec.claims()).hasSize(2);
    Claim first = spec.claims().get(0);
    assertThat(first)
        .isEqualTo(
            new Claim(
                "plgate-lower",
                "pl-gate reaches a lower final perplexity than dense",
                Claim.Statistic.FINAL_METRIC,
                -1,
                Map.of("method", "pl-gate"),
                Map.of("method", "dense"),
                Claim.Direction.LOWER,
                "Table 1"));
    Claim second = spec.claims().get(1);
    assertThat(second.statistic()).isEqualTo(Claim.Statistic.METRIC_AT_STEP);
    assertThat(second.step()).isEqualTo(50);
    assertThat(second.statisticName()).isEqualTo("metric_at_step:50");
    assertThat(second.paper()).isNull();
    assertThat(second.config())
        .containsExactly(Map.entry("method", "random"), Map.entry("ratio", "0.5"));
    // pairs: the same seed; ratio is named by config, so the dense run's missing ratio is no matter
    Cell plGate0 = cell(spec, "pl-gate", "0");
    assertThat(first.paired(plGate0.labels(), cell(spec, "dense", "0").labels())).isTrue();
    assertThat(first.paired(plGate0.labels(), cell(spec, "dense", "1").labels())).isFalse();
    assertThat(SweepSpec.parse(sweep("[0.5]", "[]"), BASE).claims()).isEmpty();
  }

  private static Cell cell(SweepSpec spec, String method, String seed) {
    return spec.cells().stream()
        .filter(c -> c.labels().get("method").equals(method) && c.labels().get("seed").equals(seed))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void selectorsNameAxesAndValuesSomeCellHas() {
    RunFileException axis = refused(sweep("[0.5]", with("config", "{schedule: linear}")));
    assertThat(axis.key()).isEqualTo("claims[0].config.schedule");
    assertThat(axis)
        .hasMessage(
            "line 13: claims[0].config.schedule: 'schedule' is not an axis of the grid; its axes:"
                + " method, ratio");

    RunFileException value = refused(sweep("[0.5]", with("config", "{method: snip}")));
    assertThat(value.key()).isEqualTo("claims[0].config.method");
    assertThat(value)
        .hasMessageContaining(
            "no cell has method=snip; the values of method: dense, pl-gate, random");

    RunFileException dense =
        refused(sweep("[0.5]", with("against", "{method: dense, ratio: 0.5}")));
    assertThat(dense.key()).isEqualTo("claims[0].against");
    assertThat(dense)
        .hasMessageContaining("no cell has method=dense ratio=0.5 (dense cells have no ratio)");

    assertThat(refused(sweep("[0.5]", with("config", "{method: pl-gate, seed: 0}"))).key())
        .isEqualTo("claims[0].config.seed");
    assertThat(refused(sweep("[0.5]", with("against", "{method: pl-gate}"))))
        .hasMessageContaining(
            "selects cell method=pl-gate ratio=0.5 seed=0 that config selects too");
  }

  @Test
  void configAndAgainstCellsPairOneToOne() {
    // two ratios: each dense run would be the partner of a pl-gate run at 0.25 and one at 0.5
    RunFileException shared = refused(sweep("[0.25, 0.5]", PLGATE_VS_DENSE));
    assertThat(shared.key()).isEqualTo("claims[0].config");
    assertThat(shared)
        .hasMessageContaining(
            "cell method=dense seed=0 would be compared with both method=pl-gate ratio=0.25 seed=0"
                + " and method=pl-gate ratio=0.5 seed=0");
    // naming the ratio makes the pairing one to one
    assertThat(
            SweepSpec.parse(
                    sweep("[0.25, 0.5]", with("config", "{method: pl-gate, ratio: 0.5}")), BASE)
                .claims())
        .hasSize(1);
    // a config cell with two candidate partners: random at both ratios, ratio named by neither
    RunFileException two =
        refused(
            sweep(
                "[0.25, 0.5]",
                with("config", "{method: dense}")
                    .replace("against: {method: dense}", "against: {method: random}")));
    assertThat(two.key()).isEqualTo("claims[0].against");
    assertThat(two)
        .hasMessageContaining("config cell method=dense seed=0 would be compared with 2 cells");
    // seed_spread compares one config with one
    RunFileException spread =
        refused(
            sweep(
                "[0.25, 0.5]",
                with("statistic", "seed_spread")
                    .replace("config: {method: pl-gate}", "config: {ratio: 0.5}")
                    .replace(
                        "against: {method: dense}", "against: {method: random, ratio: 0.25}")));
    assertThat(spread.key()).isEqualTo("claims[0].config");
    assertThat(spread)
        .hasMessageContaining("seed_spread compares the spread across seeds of one config");
  }

  @Test
  void badKeysAndValuesNameTheirKey() {
    assertThat(refused(sweep("[0.5]", with("statistic", "final_perplexity"))))
        .hasMessage(
            "line 12: claims[0].statistic: unknown statistic 'final_perplexity'; one of"
                + " final_metric, metric_at_step:N, steps_to_dense_final, seconds_to_dense_final,"
                + " kappa_jump, trace_jump, seed_spread");
    assertThat(refused(sweep("[0.5]", with("statistic", "metric_at_step:ten"))).key())
        .isEqualTo("claims[0].statistic");
    RunFileException direction = refused(sweep("[0.5]", with("direction", "better")));
    assertThat(direction.key()).isEqualTo("claims[0].direction");
    assertThat(direction).hasMessageEndingWith("must be lower or higher, got 'better'");
    assertThat(refused(sweep("[0.5]", with("colour", "red"))).key()).isEqualTo("claims[0].colour");
    assertThat(refused(sweep("[0.5]", PLGATE_VS_DENSE.replace("  direction: lower\n", ""))))
        .hasMessageContaining(
            "claims[0]: a claim needs id, text, statistic, config, against, direction; direction is"
                + " missing");
    assertThat(refused(sweep("[0.5]", with("config", "pl-gate"))).key())
        .isEqualTo("claims[0].config");
    assertThat(refused(sweep("[0.5]", with("id", "two words"))).key()).isEqualTo("claims[0].id");
    RunFileException twice = refused(sweep("[0.5]", PLGATE_VS_DENSE + PLGATE_VS_DENSE));
    assertThat(twice.key()).isEqualTo("claims[1].id");
    assertThat(twice)
        .hasMessage(
            "line 17: claims[1].id: 'plgate-lower' is already the id of the claim on line 10");
    assertThat(refused(sweep("[0.5]", "{id: x}")).key()).isEqualTo("claims");
  }

  @Test
  void aSweepFolderKeepsItsClaimsInItsCopyOfTheSweepFile(@TempDir Path folder) throws Exception {
    assertThat(Claims.ofSweepFolder(folder)).isEmpty();
    Files.writeString(folder.resolve(Claims.SWEEP_FILE), sweep("[0.5]", PLGATE_VS_DENSE));
    assertThat(Claims.ofSweepFolder(folder))
        .isEqualTo(SweepSpec.parse(sweep("[0.5]", PLGATE_VS_DENSE), BASE).claims());
    Files.writeString(folder.resolve(Claims.SWEEP_FILE), sweep("[0.5]", with("direction", "up")));
    assertThatThrownBy(() -> Claims.ofSweepFolder(folder))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            folder.resolve("sweep.yaml")
                + ": line 15: claims[0].direction: must be lower or higher");
    assertThat(List.of(Claim.Direction.values()))
        .extracting(Claim.Direction::id)
        .containsExactly("lower", "higher");
  }
}
