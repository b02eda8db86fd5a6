package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * How configs are matched: the dense config of a baseline, the random counterpart, the checks on
 * runs.avro.
 */
class SweepRunsTest {
  private static final Path FILE = Path.of("report", "runs.avro");

  private static RunRecord run(
      String config, String method, double ratio, long seed, Map<String, String> axes) {
    Map<String, String> labels = new TreeMap<>(axes);
    labels.put("method", method);
    labels.put("seed", Long.toString(seed));
    return SweepFixture.run(config, method, ratio, seed)
        .setRunId(config + "#" + seed)
        .setLabels(labels)
        .setStatus(RunStatus.FINISHED)
        .setLastGoodStep(40)
        .setTrainSeconds(1)
        .setPruningSeconds(0)
        .setFinalEvalMetric(100.0)
        .build();
  }

  @Test
  void theRandomCounterpartHasTheSameBaselineRatioAndOtherAxes() {
    List<RunRecord> runs = new ArrayList<>();
    runs.add(run("dense", "dense", 0, 0, Map.of()));
    runs.add(
        run("gate one-shot", "pl-gate", 0.5, 0, Map.of("schedule", "one-shot", "ratio", "0.5")));
    runs.add(
        run("random one-shot", "random", 0.5, 0, Map.of("schedule", "one-shot", "ratio", "0.5")));
    runs.add(run("random linear", "random", 0.5, 0, Map.of("schedule", "linear", "ratio", "0.5")));
    runs.add(run("random 0.3", "random", 0.3, 0, Map.of("schedule", "one-shot", "ratio", "0.3")));
    runs.add(run("gate cubic", "pl-gate", 0.5, 0, Map.of("schedule", "cubic", "ratio", "0.5")));
    SweepRuns sweep = SweepRuns.of(FILE, runs);

    assertThat(sweep.randomCounterpart("gate one-shot")).contains("random one-shot");
    assertThat(sweep.randomCounterpart("gate cubic"))
        .isEmpty(); // two random configs at 0.5, neither with its axes
    assertThat(sweep.randomCounterpart("random one-shot")).isEmpty();
    assertThat(sweep.randomCounterpart("dense")).isEmpty();
    assertThat(sweep.denseConfig(SweepFixture.BASELINE)).contains("dense");
    assertThat(sweep.matchedDense(runs.get(1)).orElseThrow().getRunId()).isEqualTo("dense#0");
    assertThat(sweep.matchedDense(runs.get(0)).orElseThrow()).isSameAs(runs.get(0));
  }

  @Test
  void inconsistentRunsAreBadInput() {
    RunRecord a = run("c", "pl-gate", 0.5, 0, Map.of());
    assertThatThrownBy(() -> SweepRuns.of(FILE, List.of(a, a)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(FILE.toString())
        .hasMessageContaining("appears twice");
    RunRecord sameSeed = RunRecord.newBuilder(a).setRunId("other").build();
    assertThatThrownBy(() -> SweepRuns.of(FILE, List.of(a, sameSeed)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("two runs of seed 0");
    RunRecord otherRatio =
        RunRecord.newBuilder(a).setRunId("other").setSeed(1).setRatio(0.3).build();
    assertThatThrownBy(() -> SweepRuns.of(FILE, List.of(a, otherRatio)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("disagree");
    RunRecord loss = RunRecord.newBuilder(a).setMetricName("bleu").build();
    assertThatThrownBy(() -> SweepRuns.of(FILE, List.of(loss)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("unknown metric 'bleu'");
    assertThatThrownBy(() -> SweepRuns.of(FILE, List.of()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no runs");
  }
}
