package dev.polyak.summary;

import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What report.html shows of a sweep's diagnostics.avro and prune_events.avro (both optional), read
 * in one streamed pass each: every run's whole-model condition number over training (its MODEL
 * rows), and for each config's representative run (its lowest seed with a pruning event) the
 * structure rows just before and just after its first pruning event.
 *
 * <p>How the rows before and after an event are told apart: docs/design/diagnostics.md
 * (SweepDiagnostics).
 */
public final class SweepDiagnostics {
  /**
   * A run's MODEL row at one step: the whole-model condition number (+∞ when singular, NaN when
   * diagnosed without the whole-model kernel) and the PL ratio ‖∇L‖²/L (NaN in records without it).
   */
  public record ModelPoint(long step, double conditionNumber, boolean singular, double plRatio) {}

  /**
   * The structure rows of {@code runId} around its first pruning event at {@code eventStep}: {@code
   * before} at {@code beforeStep} and {@code after} at {@code afterStep} (step −1 and no rows when
   * no diagnosed step qualifies).
   */
  public record Snapshot(
      String runId,
      long eventStep,
      long beforeStep,
      List<DiagnosticRecord> before,
      long afterStep,
      List<DiagnosticRecord> after) {}

  /** A run's first pruning event: its step and the kept flags before and after, by structure id. */
  private record FirstEvent(
      long step, Map<String, Boolean> keptBefore, Map<String, Boolean> keptAfter) {}

  private final boolean hasDiagnostics;
  private final boolean hasPruneEvents;
  private final Map<String, List<ModelPoint>> modelByRun;
  private final Map<String, RunRecord> representativeByConfig;
  private final Map<String, Snapshot> snapshotByRun;
  private final Set<String> kernels;

  private SweepDiagnostics(
      boolean hasDiagnostics,
      boolean hasPruneEvents,
      Map<String, List<ModelPoint>> modelByRun,
      Map<String, RunRecord> representativeByConfig,
      Map<String, Snapshot> snapshotByRun,
      Set<String> kernels) {
    this.hasDiagnostics = hasDiagnostics;
    this.hasPruneEvents = hasPruneEvents;
    this.modelByRun = modelByRun;
    this.representativeByConfig = representativeByConfig;
    this.snapshotByRun = snapshotByRun;
    this.kernels = kernels;
  }

  /** Reads {@code <reportDir>/prune_events.avro} and {@code diagnostics.avro} where they exist. */
  public static SweepDiagnostics read(Path reportDir, SweepRuns runs) {
    Path eventsFile = reportDir.resolve(ReportFiles.PRUNE_EVENTS);
    Path diagnosticsFile = reportDir.resolve(ReportFiles.DIAGNOSTICS);
    boolean hasEvents = Files.exists(eventsFile);
    boolean hasDiagnostics = Files.exists(diagnosticsFile);

    Map<String, FirstEvent> firstEvents = new HashMap<>();
    if (hasEvents) {
      ReportFiles.forEach(
          eventsFile,
          PruneEvent.class,
          e -> {
            FirstEvent known = firstEvents.get(e.getRunId());
            if (known == null || e.getStep() < known.step()) {
              firstEvents.put(e.getRunId(), firstEvent(e));
            }
          });
    }
    Map<String, RunRecord> representatives = new TreeMap<>();
    for (Map.Entry<String, List<RunRecord>> e : runs.byConfig().entrySet()) {
      e.getValue().stream()
          .filter(r -> firstEvents.containsKey(r.getRunId()))
          .findFirst()
          .ifPresent(r -> representatives.put(e.getKey(), r));
    }

    Map<String, Window> windows = new HashMap<>();
    for (RunRecord r : representatives.values()) {
      windows.put(r.getRunId(), new Window(firstEvents.get(r.getRunId()).step()));
    }
    Map<String, List<ModelPoint>> model = new HashMap<>();
    Set<String> kernels = new TreeSet<>();
    if (hasDiagnostics) {
      ReportFiles.forEach(
          diagnosticsFile,
          DiagnosticRecord.class,
          row -> {
            kernels.add(row.getKernel());
            if (row.getKind() == DiagnosticKind.MODEL) {
              model
                  .computeIfAbsent(row.getRunId(), id -> new ArrayList<>())
                  .add(
                      new ModelPoint(
                          row.getStep(),
                          row.getConditionNumber(),
                          row.getSingular(),
                          row.getPlRatio() == null ? Double.NaN : row.getPlRatio()));
              return;
            }
            Window w = windows.get(row.getRunId());
            if (w != null) {
              w.offer(row);
            }
          });
    }
    for (List<ModelPoint> points : model.values()) {
      points.sort(Comparator.comparingLong(ModelPoint::step));
    }
    Map<String, Snapshot> snapshots = new HashMap<>();
    for (Map.Entry<String, Window> e : windows.entrySet()) {
      snapshots.put(e.getKey(), e.getValue().snapshot(e.getKey(), firstEvents.get(e.getKey())));
    }
    return new SweepDiagnostics(
        hasDiagnostics,
        hasEvents,
        model,
        representatives,
        snapshots,
        java.util.Collections.unmodifiableSet(kernels));
  }

  /** Whether the report folder has diagnostics.avro. */
  public boolean hasDiagnostics() {
    return hasDiagnostics;
  }

  /**
   * The kernels the diagnostics rows were computed with (pntk, loss, ...), sorted; empty without
   * rows.
   */
  public Set<String> kernels() {
    return kernels;
  }

  /** Whether the report folder has prune_events.avro. */
  public boolean hasPruneEvents() {
    return hasPruneEvents;
  }

  /** The MODEL rows of {@code runId}, by step (empty without them). */
  public List<ModelPoint> modelPoints(String runId) {
    return modelByRun.getOrDefault(runId, List.of());
  }

  /** The lowest-seed run of {@code config} with a pruning event. */
  public Optional<RunRecord> representative(String config) {
    return Optional.ofNullable(representativeByConfig.get(config));
  }

  /** The structure rows around the first pruning event of {@code config}'s representative run. */
  public Optional<Snapshot> snapshot(String config) {
    return representative(config).map(r -> snapshotByRun.get(r.getRunId()));
  }

  private static FirstEvent firstEvent(PruneEvent e) {
    Map<String, Boolean> before = new HashMap<>();
    Map<String, Boolean> after = new HashMap<>();
    for (int i = 0; i < e.getStructureIds().size(); i++) {
      before.put(e.getStructureIds().get(i), e.getKeptBefore().get(i));
      after.put(e.getStructureIds().get(i), e.getKeptAfter().get(i));
    }
    return new FirstEvent(e.getStep(), before, after);
  }

  /**
   * The structure rows of one run at its event step and at the nearest diagnosed steps either side.
   */
  private static final class Window {
    private final long eventStep;
    private final List<DiagnosticRecord> atEvent = new ArrayList<>();
    private long previousStep = -1;
    private final List<DiagnosticRecord> previous = new ArrayList<>();
    private long nextStep = Long.MAX_VALUE;
    private final List<DiagnosticRecord> next = new ArrayList<>();

    Window(long eventStep) {
      this.eventStep = eventStep;
    }

    void offer(DiagnosticRecord row) {
      long step = row.getStep();
      if (step == eventStep) {
        atEvent.add(row);
      } else if (step < eventStep && step >= previousStep) {
        if (step > previousStep) {
          previous.clear();
          previousStep = step;
        }
        previous.add(row);
      } else if (step > eventStep && step <= nextStep) {
        if (step < nextStep) {
          next.clear();
          nextStep = step;
        }
        next.add(row);
      }
    }

    Snapshot snapshot(String runId, FirstEvent event) {
      List<DiagnosticRecord> before = matching(atEvent, event.keptBefore(), true);
      long beforeStep = eventStep;
      if (before.isEmpty()) {
        before = List.copyOf(previous);
        beforeStep = previous.isEmpty() ? -1 : previousStep;
      }
      List<DiagnosticRecord> after = matching(atEvent, event.keptAfter(), false);
      long afterStep = eventStep;
      if (after.isEmpty()) {
        after = List.copyOf(next);
        afterStep = next.isEmpty() ? -1 : nextStep;
      }
      return new Snapshot(runId, eventStep, beforeStep, before, afterStep, after);
    }

    /**
     * One row per structure of {@code rows} whose kept flag is {@code expected}'s (any for a
     * structure outside the event's scope), its first or last such row; empty unless every
     * structure at the step has one.
     */
    private static List<DiagnosticRecord> matching(
        List<DiagnosticRecord> rows, Map<String, Boolean> expected, boolean first) {
      Map<String, DiagnosticRecord> chosen = new LinkedHashMap<>();
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (DiagnosticRecord row : rows) {
        ids.add(row.getStructureId());
        Boolean kept = expected.get(row.getStructureId());
        if (kept == null || kept == row.getKept()) {
          if (first) {
            chosen.putIfAbsent(row.getStructureId(), row);
          } else {
            chosen.put(row.getStructureId(), row);
          }
        }
      }
      return !rows.isEmpty() && chosen.size() == ids.size()
          ? List.copyOf(chosen.values())
          : List.of();
    }
  }
}
