package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ASHA's asynchronous rule against hand-worked cases: records arrive in a given order, each run is
 * decided against the records present at that moment, and the runs listed stop.
 */
class AshaTest {

  /** Decides every run in arrival order, as the slots would, and returns the verdicts by run. */
  private static Map<String, Asha.Verdict> arrive(
      List<Asha.Entry> order, double reduction, boolean lowerIsBetter) {
    List<Asha.Entry> present = new ArrayList<>();
    Map<String, Asha.Verdict> verdicts = new LinkedHashMap<>();
    for (Asha.Entry e : order) {
      present.add(e);
      verdicts.put(e.runId(), Asha.decide(e.runId(), present, reduction, lowerIsBetter));
    }
    return verdicts;
  }

  private static List<String> stopped(Map<String, Asha.Verdict> verdicts) {
    return verdicts.entrySet().stream()
        .filter(e -> !e.getValue().continues())
        .map(Map.Entry::getKey)
        .toList();
  }

  @Test
  void eachRunIsJudgedAgainstTheRecordsPresentWhenItArrives() {
    // Lower is better, eta = 3. By hand (n: records present, keep = ceil(n/3)):
    // a=5: n1 keep1 rank1 go; b=3: n2 keep1 rank1 go; c=4: n3 keep1 rank2 STOP;
    // d=1: n4 keep2 rank1 go; e=6: n5 keep2 rank5 STOP; f=2: n6 keep2 rank2 go.
    Map<String, Asha.Verdict> v =
        arrive(
            List.of(
                new Asha.Entry("a", 5),
                new Asha.Entry("b", 3),
                new Asha.Entry("c", 4),
                new Asha.Entry("d", 1),
                new Asha.Entry("e", 6),
                new Asha.Entry("f", 2)),
            3,
            true);
    assertThat(stopped(v)).containsExactly("c", "e");
    assertThat(v.get("c")).isEqualTo(new Asha.Verdict(false, 2, 3, 1));
    assertThat(v.get("e")).isEqualTo(new Asha.Verdict(false, 5, 5, 2));
    assertThat(v.get("f")).isEqualTo(new Asha.Verdict(true, 2, 6, 2));
  }

  @Test
  void theSameRecordsInAnotherOrderStopOtherRuns() {
    // The same six values arriving best first: each later run is behind all the earlier ones.
    // d=1 go; f=2: n2 keep1 rank2 STOP; b=3: n3 keep1 rank3 STOP; c=4: n4 keep2 rank4 STOP;
    // a=5: n5 keep2 rank5 STOP; e=6: n6 keep2 rank6 STOP.
    Map<String, Asha.Verdict> v =
        arrive(
            List.of(
                new Asha.Entry("d", 1),
                new Asha.Entry("f", 2),
                new Asha.Entry("b", 3),
                new Asha.Entry("c", 4),
                new Asha.Entry("a", 5),
                new Asha.Entry("e", 6)),
            3,
            true);
    assertThat(stopped(v)).containsExactly("f", "b", "c", "a", "e");
  }

  @Test
  void higherIsBetterForAccuracyAndPlRatio() {
    // eta = 2, higher better: x=0.5 go; y=0.7: n2 keep1 rank1 go; z=0.6: n3 keep2 rank2 go;
    // w=0.1: n4 keep2 rank4 STOP.
    Map<String, Asha.Verdict> v =
        arrive(
            List.of(
                new Asha.Entry("x", 0.5),
                new Asha.Entry("y", 0.7),
                new Asha.Entry("z", 0.6),
                new Asha.Entry("w", 0.1)),
            2,
            false);
    assertThat(stopped(v)).containsExactly("w");
  }

  @Test
  void nonFiniteValuesRankLastAndTiesShareARank() {
    // Lower is better, eta = 3: a=NaN first is alone: go. b=inf: n2 keep1, a and b tie (both
    // non-finite): rank1 go. c=2: n3 keep1 rank1 go. d=2: n4 keep2, ties c: rank1 go.
    // e=NaN: n5 keep2 rank3 (c, d better) STOP.
    Map<String, Asha.Verdict> v =
        arrive(
            List.of(
                new Asha.Entry("a", Double.NaN),
                new Asha.Entry("b", Double.POSITIVE_INFINITY),
                new Asha.Entry("c", 2),
                new Asha.Entry("d", 2),
                new Asha.Entry("e", Double.NaN)),
            3,
            true);
    assertThat(stopped(v)).containsExactly("e");
    assertThat(v.get("d").rank()).isEqualTo(1);
    assertThat(v.get("e").rank()).isEqualTo(3);
  }

  @Test
  void aFractionalReductionKeepsTheCeiling() {
    // eta = 1.5, 5 records: keep ceil(5/1.5) = ceil(3.33) = 4; the worst of five stops.
    List<Asha.Entry> all =
        List.of(
            new Asha.Entry("a", 1),
            new Asha.Entry("b", 2),
            new Asha.Entry("c", 3),
            new Asha.Entry("d", 4),
            new Asha.Entry("e", 5));
    assertThat(Asha.decide("d", all, 1.5, true)).isEqualTo(new Asha.Verdict(true, 4, 5, 4));
    assertThat(Asha.decide("e", all, 1.5, true)).isEqualTo(new Asha.Verdict(false, 5, 5, 4));
  }
}
