package dev.polyak.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile summary of a hand-made trace, against self times worked out by hand. */
class StepProfileTest {
  @TempDir Path dir;

  @Test
  void selfTimesSubtractNestedCallsAndTheEngineShareIsTheOutermostCallsUnion() throws Exception {
    // thread 1: linear [0, 100) holding mm [10, 70) (holding copy [20, 30)) and add [70, 90);
    //           then add [150, 160), on its own
    // thread 2: mm [0, 40)
    // written out of order, as the profiler writes a call after its children
    Path trace = dir.resolve("trace.json");
    Files.writeString(
        trace,
        "["
            + event("aten::copy_", 1, 20, 10)
            + ","
            + event("aten::mm", 1, 10, 60)
            + ","
            + event("aten::add", 1, 70, 20)
            + ","
            + event("aten::linear", 1, 0, 100)
            + ","
            + event("aten::add", 1, 150, 10)
            + ","
            + event("aten::mm", 2, 0, 40)
            + ","
            + "{\"name\": \"an instant\", \"ph\": \"i\", \"ts\": 5, \"tid\": 1}"
            + "]");
    StepProfile.Profile p = StepProfile.summarise(StepProfile.read(trace), 2, 400);

    Map<String, StepProfile.Operator> byName =
        p.operators().stream().collect(Collectors.toMap(StepProfile.Operator::name, o -> o));
    // linear: 100 - 60 - 20; mm: (60 - 10) + 40; copy: 10; add: 20 + 10
    assertThat(byName.get("aten::linear").selfMicros()).isCloseTo(20, within(1e-9));
    assertThat(byName.get("aten::mm").selfMicros()).isCloseTo(90, within(1e-9));
    assertThat(byName.get("aten::copy_").selfMicros()).isCloseTo(10, within(1e-9));
    assertThat(byName.get("aten::add").selfMicros()).isCloseTo(30, within(1e-9));
    assertThat(byName.get("aten::add").calls()).isEqualTo(2);
    assertThat(p.operators().stream().map(StepProfile.Operator::name).toList())
        .startsWith("aten::mm", "aten::add");
    // outermost calls: linear 100 + add 10 on thread 1, mm 40 on thread 2
    assertThat(p.operatorMicros()).isCloseTo(150, within(1e-9));
    assertThat(p.steps()).isEqualTo(2);
    assertThat(p.wallMicros()).isEqualTo(400);
    assertThat(List.copyOf(byName.keySet())).hasSize(4);
  }

  private static String event(String name, long thread, double start, double duration) {
    return String.format(
        "{\"name\": \"%s\", \"ph\": \"X\", \"ts\": %s, \"dur\": %s, \"tid\": %d, \"pid\": \"CPU\"}",
        name, start, duration, thread);
  }
}
