package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.DiagnosticRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heat-map rows around a representative run's first pruning event, told apart by their kept
 * flags when they share the event's step, and the whole-model κ over training.
 */
class SweepDiagnosticsTest {
  @TempDir Path dir;

  private static String gateSeed0() {
    return SweepFixture.runId(SweepFixture.PL_GATE, 0);
  }

  private static long pruned(List<DiagnosticRecord> rows) {
    return rows.stream().filter(r -> !r.getKept()).count();
  }

  @Test
  void bothSetsAtTheEventStepAreSplitByTheirKeptFlags() {
    Path report = SweepFixture.standard().write(dir);
    SweepDiagnostics d = SweepDiagnostics.read(report, SweepRuns.read(report));

    assertThat(d.representative(SweepFixture.PL_GATE).orElseThrow().getSeed()).isZero();
    assertThat(d.representative(SweepFixture.DENSE)).isEmpty(); // dense never prunes
    SweepDiagnostics.Snapshot s = d.snapshot(SweepFixture.PL_GATE).orElseThrow();
    assertThat(s.runId()).isEqualTo(gateSeed0());
    assertThat(s.eventStep()).isEqualTo(SweepFixture.PRUNE_STEP);
    assertThat(s.beforeStep()).isEqualTo(SweepFixture.PRUNE_STEP);
    assertThat(s.afterStep()).isEqualTo(SweepFixture.PRUNE_STEP);
    assertThat(s.before()).hasSize(8).allMatch(DiagnosticRecord::getKept);
    assertThat(s.after()).hasSize(8);
    assertThat(pruned(s.after())).isEqualTo(4);
    assertThat(s.after()).filteredOn(r -> !r.getKept()).allMatch(DiagnosticRecord::getSingular);
  }

  @Test
  void onlyTheBeforeSetAtTheEventStepTakesAfterFromTheNextDiagnosedStep() {
    SweepFixture fixture = SweepFixture.standard();
    Path report = fixture.write(dir, false, true);
    AvroFiles.write(
        report.resolve(ReportFiles.DIAGNOSTICS),
        DiagnosticRecord.class,
        oneSetAtTheEventStep(fixture.diagnostics(), true));

    SweepDiagnostics.Snapshot s =
        SweepDiagnostics.read(report, SweepRuns.read(report))
            .snapshot(SweepFixture.PL_GATE)
            .orElseThrow();
    assertThat(s.beforeStep()).isEqualTo(SweepFixture.PRUNE_STEP);
    assertThat(s.before()).hasSize(8).allMatch(DiagnosticRecord::getKept);
    assertThat(s.afterStep()).isEqualTo(40);
    assertThat(s.after()).hasSize(8).allMatch(r -> r.getStep() == 40);
    assertThat(pruned(s.after())).isEqualTo(4);
  }

  @Test
  void onlyTheAfterSetAtTheEventStepTakesBeforeFromThePreviousDiagnosedStep() {
    SweepFixture fixture = SweepFixture.standard();
    Path report = fixture.write(dir, false, true);
    AvroFiles.write(
        report.resolve(ReportFiles.DIAGNOSTICS),
        DiagnosticRecord.class,
        oneSetAtTheEventStep(fixture.diagnostics(), false));

    SweepDiagnostics.Snapshot s =
        SweepDiagnostics.read(report, SweepRuns.read(report))
            .snapshot(SweepFixture.PL_GATE)
            .orElseThrow();
    assertThat(s.beforeStep()).isZero();
    assertThat(s.before()).hasSize(8).allMatch(r -> r.getStep() == 0 && r.getKept());
    assertThat(s.afterStep()).isEqualTo(SweepFixture.PRUNE_STEP);
    assertThat(s.after()).hasSize(8);
    assertThat(pruned(s.after())).isEqualTo(4);
  }

  @Test
  void theWholeModelKappaOfEveryRunSortedByStep() {
    SweepFixture fixture = SweepFixture.standard();
    List<DiagnosticRecord> reversed = new ArrayList<>(fixture.diagnostics());
    java.util.Collections.reverse(reversed);
    Path report = fixture.write(dir, false, true);
    AvroFiles.write(report.resolve(ReportFiles.DIAGNOSTICS), DiagnosticRecord.class, reversed);

    List<SweepDiagnostics.ModelPoint> kappa =
        SweepDiagnostics.read(report, SweepRuns.read(report))
            .modelPoints(SweepFixture.runId(SweepFixture.DENSE, 1));
    assertThat(kappa).extracting(SweepDiagnostics.ModelPoint::step).containsExactly(0L, 10L, 40L);
    assertThat(kappa.get(2).conditionNumber()).isEqualTo(Math.pow(10, 4) * 2);
    assertThat(kappa.get(2).plRatio()).isEqualTo(1.0 / 41);
  }

  @Test
  void missingFilesLeaveEmptySections() {
    Path report = SweepFixture.standard().write(dir, false, false);
    SweepDiagnostics d = SweepDiagnostics.read(report, SweepRuns.read(report));

    assertThat(d.hasDiagnostics()).isFalse();
    assertThat(d.hasPruneEvents()).isFalse();
    assertThat(d.snapshot(SweepFixture.PL_GATE)).isEmpty();
    assertThat(d.modelPoints(gateSeed0())).isEmpty();
  }

  /**
   * {@code rows} with one row per (run, step, structure) as the schema asks: at the event step, the
   * first row (the model before pruning) or the last (after it).
   */
  private static List<DiagnosticRecord> oneSetAtTheEventStep(
      List<DiagnosticRecord> rows, boolean before) {
    java.util.Map<String, DiagnosticRecord> unique = new java.util.LinkedHashMap<>();
    for (DiagnosticRecord r : rows) {
      String key = r.getRunId() + "@" + r.getStep() + "/" + r.getStructureId();
      if (before) {
        unique.putIfAbsent(key, r);
      } else {
        unique.put(key, r);
      }
    }
    return new ArrayList<>(unique.values());
  }
}
