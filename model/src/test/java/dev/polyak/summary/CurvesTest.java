package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.MetricRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Curves across seeds per step, finished runs only, from one pass in any row order. */
class CurvesTest {
  @TempDir Path dir;

  @Test
  void eachStepAcrossTheFinishedSeeds() {
    Curves curves = Curves.read(SweepFixture.standard().write(dir));

    assertThat(curves.byConfig().keySet())
        .containsExactly(SweepFixture.DENSE, SweepFixture.PL_GATE, SweepFixture.RANDOM);
    Curves.Curve gate = curves.of(SweepFixture.PL_GATE);
    assertThat(gate.evalMetric())
        .extracting(Curves.Point::step)
        .containsExactly(0L, 10L, 20L, 30L, 40L);
    // step 20: 99, 140, 119.5 (the diverged seed's 5000 left out)
    Curves.Point p = gate.evalMetric().get(2);
    assertThat(p.n()).isEqualTo(3);
    assertThat(p.mean()).isCloseTo(119.5, within(1e-12));
    assertThat(p.std()).isCloseTo(Math.sqrt((20.5 * 20.5 * 2 + 0) / 2), within(1e-12));
    assertThat(p.min()).isEqualTo(99);
    assertThat(p.max()).isEqualTo(140);
    // train loss = ln(eval) + 0.1 seed
    Curves.Point t = gate.trainLoss().get(4);
    double[] train = {Math.log(98), Math.log(104) + 0.1, Math.log(119) + 0.2};
    assertThat(t.mean()).isCloseTo((train[0] + train[1] + train[2]) / 3, within(1e-12));
    assertThat(t.min()).isEqualTo(train[0]);
    // the failed random seed's rows (steps 0, 10) are left out too
    assertThat(curves.of(SweepFixture.RANDOM).evalMetric().get(1).n()).isEqualTo(3);
  }

  @Test
  void aShuffledFileGivesTheSameCurvesUpToRounding() {
    SweepFixture fixture = SweepFixture.standard();
    Curves ordered = Curves.read(fixture.write(dir.resolve("a")));
    List<MetricRow> rows = new ArrayList<>(fixture.metrics());
    Collections.shuffle(rows, new Random(3));
    Path other = fixture.write(dir.resolve("b"));
    AvroFiles.write(other.resolve(ReportFiles.METRICS), MetricRow.class, rows);
    Curves shuffled = Curves.read(other);

    for (String config : ordered.byConfig().keySet()) {
      List<Curves.Point> a = ordered.of(config).evalMetric();
      List<Curves.Point> b = shuffled.of(config).evalMetric();
      assertThat(b).hasSameSizeAs(a);
      for (int i = 0; i < a.size(); i++) {
        assertThat(b.get(i).step()).isEqualTo(a.get(i).step());
        assertThat(b.get(i).n()).isEqualTo(a.get(i).n());
        assertThat(b.get(i).mean()).isCloseTo(a.get(i).mean(), within(1e-9));
        assertThat(b.get(i).std()).isCloseTo(a.get(i).std(), within(1e-9));
        assertThat(b.get(i).min()).isEqualTo(a.get(i).min());
        assertThat(b.get(i).max()).isEqualTo(a.get(i).max());
      }
    }
  }
}
