package dev.polyak.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.train.Trainer;
import dev.polyak.train.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training step's time goes: the engine's operators, as PyTorch's profiler records them,
 * against the step's wall time. The rest is DJL's per-operation calls (JNI, array wrappers) and
 * Java (batch preparation, the trainer's bookkeeping).
 */
final class StepProfile {
  /** An operator call from the trace: its thread, start and duration in microseconds. */
  record Call(String name, long thread, double start, double duration) {
    double end() {
      return start + duration;
    }
  }

  /** Self time of one operator name over the profiled steps. */
  record Operator(String name, double selfMicros, long calls) {}

  /**
   * The profile of {@code steps} steps after the trainer's current one.
   *
   * @param wallMicros the steps' wall time
   * @param operatorMicros the time covered by at least one outermost operator call, summed over
   *     threads (the engine's share)
   * @param operators self time by operator name, largest first
   */
  record Profile(long steps, double wallMicros, double operatorMicros, List<Operator> operators) {}

  private StepProfile() {}

  /** Trains {@code steps} steps under the profiler, writes its trace to {@code trace}. */
  static Profile run(Trainer trainer, int steps, Path trace) throws IOException {
    long from = trainer.step();
    JniUtils.startProfile(false, false, false);
    long started = System.nanoTime();
    double wall;
    try {
      trainer.train(from + steps, TrainingListener.onEachStep((step, loss) -> {}));
    } finally {
      wall = (System.nanoTime() - started) / 1e3;
      JniUtils.stopProfile(trace.toString());
    }
    return summarise(read(trace), steps, wall);
  }

  /** The complete-event ("ph": "X") calls of a Chrome trace file. */
  static List<Call> read(Path trace) throws IOException {
    JsonNode root = new ObjectMapper().readTree(trace.toFile());
    JsonNode events = root.isArray() ? root : root.path("traceEvents");
    List<Call> calls = new ArrayList<>();
    for (JsonNode e : events) {
      if ("X".equals(e.path("ph").asText()) && e.has("dur")) {
        calls.add(
            new Call(
                e.path("name").asText(),
                e.path("tid").asLong(),
                e.path("ts").asDouble(),
                e.path("dur").asDouble()));
      }
    }
    return calls;
  }

  /**
   * Self times (a call's duration less its nested calls' on the same thread) and the union of the
   * outermost calls' intervals.
   */
  static Profile summarise(List<Call> calls, long steps, double wallMicros) {
    List<Call> sorted = new ArrayList<>(calls);
    sorted.sort(
        Comparator.comparingLong(Call::thread)
            .thenComparingDouble(Call::start)
            .thenComparing(Comparator.comparingDouble(Call::duration).reversed()));
    Map<String, double[]> self = new HashMap<>();
    Deque<Call> open = new ArrayDeque<>();
    Deque<double[]> childTime = new ArrayDeque<>();
    double covered = 0;
    long thread = Long.MIN_VALUE;
    for (Call c : sorted) {
      if (c.thread() != thread) {
        close(open, childTime, self, Double.POSITIVE_INFINITY);
        thread = c.thread();
      }
      close(open, childTime, self, c.start());
      if (open.isEmpty()) {
        covered += c.duration();
      } else {
        childTime.peek()[0] += c.duration();
      }
      open.push(c);
      childTime.push(new double[1]);
    }
    close(open, childTime, self, Double.POSITIVE_INFINITY);
    List<Operator> operators = new ArrayList<>();
    self.forEach((name, v) -> operators.add(new Operator(name, v[0], (long) v[1])));
    operators.sort(Comparator.comparingDouble(Operator::selfMicros).reversed());
    return new Profile(steps, wallMicros, covered, operators);
  }

  /** Closes the open calls that end at or before {@code time}, adding their self time. */
  private static void close(
      Deque<Call> open, Deque<double[]> childTime, Map<String, double[]> self, double time) {
    while (!open.isEmpty() && open.peek().end() <= time + 1e-9) {
      Call c = open.pop();
      double children = childTime.pop()[0];
      double[] v = self.computeIfAbsent(c.name(), k -> new double[2]);
      v[0] += Math.max(0, c.duration() - children);
      v[1] += 1;
    }
  }

  /** Prints the profile: the engine's share of the wall time and the top operators. */
  static void print(Profile p, int top, PrintStream console) {
    double perStep = p.wallMicros() / p.steps() / 1e3;
    console.printf(
        "profile: %d steps, %.1f ms per step; engine operators %.1f ms per step (%.1f %%), the rest"
            + " (DJL's calls, Java) %.1f ms (%.1f %%)%n",
        p.steps(),
        perStep,
        p.operatorMicros() / p.steps() / 1e3,
        100 * p.operatorMicros() / p.wallMicros(),
        perStep - p.operatorMicros() / p.steps() / 1e3,
        100 * (1 - p.operatorMicros() / p.wallMicros()));
    console.printf("%-40s | self ms/step | share of wall | calls/step%n", "operator");
    for (Operator o : p.operators().subList(0, Math.min(top, p.operators().size()))) {
      console.printf(
          "%-40s | %12.2f | %12.1f %% | %10.1f%n",
          o.name(),
          o.selfMicros() / p.steps() / 1e3,
          100 * o.selfMicros() / p.wallMicros(),
          (double) o.calls() / p.steps());
    }
  }
}
