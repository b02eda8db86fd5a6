package dev.polyak.transforms.sweep;

import ai.djl.Device;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.engine.DeviceLease;
import dev.polyak.nn.EngineThreads;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import dev.polyak.sweep.AshaGate;
import dev.polyak.sweep.DiagnosticsPlan;
import dev.polyak.sweep.EarlyStopping;
import dev.polyak.sweep.RunFolder;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.RunRecords;
import dev.polyak.sweep.RungLog;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.train.MetricRecord;
import dev.polyak.train.RunGate;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingListener;
import dev.polyak.train.TrainingRun;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one sweep cell per element, in its folder {@code <out>/runs/<run_id>/}, and emits what the
 * folder then holds: its {@link RunRecord}, one {@link MetricRow} per evaluation, its {@link
 * PruneEvent}s and the checkpoints to diagnose. A run is a long element (minutes to days): the
 * element is the unit of scheduling, and the run's own checkpoints, not Beam's, make it resumable.
 *
 * <p>Whether a cell trains is the {@link RunPolicy}'s call from the folder's recorded outcome; a
 * cell that does not train still emits what its folder holds, so the reports cover the whole sweep.
 * Everything emitted is read back from the folder after training, so a retried element (a bundle
 * retried, a task manager lost) emits the same records again; the sweep keeps one per key.
 *
 * <p>A run whose loss stops being finite ends DIVERGED inside {@link TrainingRun}; any other error
 * is caught here, written to {@code failure.json} and emitted as a FAILED record, so one bad cell
 * never stops the others.
 */
public final class TrainRunFn extends DoFn<RunTask, RunRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainRunFn.class);
  public static final TupleTag<RunRecord> RUNS = new TupleTag<>() {};
  public static final TupleTag<MetricRow> METRICS = new TupleTag<>() {};
  public static final TupleTag<PruneEvent> EVENTS = new TupleTag<>() {};
  public static final TupleTag<String> CHECKPOINTS = new TupleTag<>() {};
  public static final TupleTag<RungDecision> DECISIONS = new TupleTag<>() {};

  /**
   * A test hook: the first attempt of {@code runId} fails (a marker file in the run folder makes it
   * once), as a worker lost at that moment would: after it has trained and emitted its records, or
   * with {@code atStep > 0} in the middle of training, just after its checkpoint at that step is
   * saved, by an {@link Error} that no run-level handler records as the run's failure, so the job
   * fails and restarts.
   *
   * @param atStep a checkpointed step, or 0 for after emitting
   */
  public record FaultInjection(String runId, long atStep) implements Serializable {
    static final String MARKER = "injected-fault";

    /** Fails after emitting. */
    public FaultInjection(String runId) {
      this(runId, 0);
    }

    /** Writes the marker and says whether this is the first time (the attempt to fail). */
    boolean firstTime(Path runFolder) {
      Path marker = runFolder.resolve(MARKER);
      if (Files.exists(marker)) {
        return false;
      }
      dev.polyak.io.AtomicFiles.writeString(marker, "failed once on purpose\n");
      return true;
    }
  }

  /** The worker lost mid-training that {@link FaultInjection} simulates. */
  static final class InjectedWorkerLoss extends Error {
    private static final long serialVersionUID = 1L;

    InjectedWorkerLoss(String message) {
      super(message);
    }
  }

  /**
   * @param policy which cells train now
   * @param diagnostics which checkpoints of a run are sent to diagnosis
   * @param device {@code cpu} or {@code gpu}
   * @param threads the engine's intra-op threads per worker JVM
   * @param fault the test hook, or null
   * @param earlyStopping the sweep's early stopping ({@link EarlyStopping#none()}: none)
   */
  public record Settings(
      RunPolicy policy,
      DiagnosticsPlan diagnostics,
      String device,
      int threads,
      @Nullable FaultInjection fault,
      EarlyStopping earlyStopping)
      implements Serializable {
    /** Settings without early stopping. */
    public Settings(
        RunPolicy policy,
        DiagnosticsPlan diagnostics,
        String device,
        int threads,
        @Nullable FaultInjection fault) {
      this(policy, diagnostics, device, threads, fault, EarlyStopping.none());
    }
  }

  private final Counter started = Metrics.counter(TrainRunFn.class, "runsStarted");
  private final Counter finished = Metrics.counter(TrainRunFn.class, "runsFinished");
  private final Counter failed = Metrics.counter(TrainRunFn.class, "runsFailed");
  private final Counter diverged = Metrics.counter(TrainRunFn.class, "runsDiverged");
  private final Counter skipped = Metrics.counter(TrainRunFn.class, "runsSkipped");
  private final Counter steps = Metrics.counter(TrainRunFn.class, "steps");
  private final Counter samples = Metrics.counter(TrainRunFn.class, "samples");
  private final Counter tokens = Metrics.counter(TrainRunFn.class, "tokens");
  private final Counter stopped = Metrics.counter(TrainRunFn.class, "runsStopped");
  private final Counter diagnosed = Metrics.counter(TrainRunFn.class, "checkpointsDiagnosed");
  private final Settings settings;
  private final Map<String, List<String>> groups;
  private transient Device device;
  private transient DeviceLease lease;

  public TrainRunFn(Settings settings) {
    this(settings, Map.of());
  }

  /**
   * @param groups early stopping's groups: every run id of the sweep by its config
   */
  public TrainRunFn(Settings settings, Map<String, List<String>> groups) {
    this.settings = settings;
    this.groups = new java.util.HashMap<>(groups);
  }

  @Setup
  public void setup() {
    EngineThreads.set(settings.threads());
    lease = DeviceLease.acquire(settings.device());
    device = lease.device();
  }

  @Teardown
  public void teardown() {
    if (lease != null) {
      lease.close();
    }
  }

  @ProcessElement
  public void process(@Element RunTask task, MultiOutputReceiver out) {
    RunFolder folder = new RunFolder(Path.of(task.getRunFolder()));
    RunSpec spec = RunSpec.parse(task.getRunYaml(), null);
    RunFolder.Recorded recorded = folder.recorded();
    if (settings.policy().trains(task.getRunId(), recorded)) {
      train(task, spec, folder, recorded);
    } else {
      skipped.inc();
    }
    emit(task, spec, folder, out);
    FaultInjection fault = settings.fault();
    if (fault != null
        && fault.atStep() == 0
        && fault.runId().equals(task.getRunId())
        && fault.firstTime(folder.path())) {
      throw new IllegalStateException(
          "injected failure of run " + task.getRunId() + " after emitting its records");
    }
  }

  private void train(RunTask task, RunSpec spec, RunFolder folder, RunFolder.Recorded recorded) {
    if (recorded == RunFolder.Recorded.FAILED || recorded == RunFolder.Recorded.DIVERGED) {
      folder.forgetOutcome();
    } else if (recorded == RunFolder.Recorded.STOPPED) {
      folder.resumePastStop();
    }
    int attempt = folder.startAttempt(worker(), device.toString());
    started.inc();
    long begin = System.nanoTime();
    String runId = task.getRunId();
    SweepProgress.started(runId, 0);
    long samplesPerStep = spec.training().batchSize();
    long tokensPerStep = spec.family().transformer() ? samplesPerStep * sequenceLength(spec) : 0;
    TrainingListener listener =
        TrainingListener.onEachStep(
            (step, loss) -> {
              SweepProgress.stepped(runId, step);
              steps.inc();
              samples.inc(samplesPerStep);
              tokens.inc(tokensPerStep);
            });
    try {
      LOG.info(
          "run {} ({}) attempt {} starts on {}",
          runId,
          task.getConfig() + " seed=" + task.getSeed(),
          attempt,
          device);
      TrainingRun.Result result =
          TrainingRun.run(spec, folder.path(), device, listener, gate(task, spec, folder));
      folder.writeState(
          new RunFolder.State(
              attempt, worker(), device.toString(), seconds(begin), result.resumedFromStep()));
      folder.clearFailure();
      (switch (result.status()) {
            case FINISHED -> finished;
            case DIVERGED -> diverged;
            case STOPPED -> stopped;
          })
          .inc();
    } catch (RuntimeException e) {
      LOG.warn("run {} failed: {}", runId, e.toString());
      folder.writeState(
          new RunFolder.State(attempt, worker(), device.toString(), seconds(begin), 0));
      folder.recordFailure(e, attempt);
      failed.inc();
    } finally {
      SweepProgress.ended(runId);
    }
  }

  /**
   * The run's early stopping: none without it, or for a run {@code --rerun-stopped} resumed past
   * its stop.
   */
  private RunGate gate(RunTask task, RunSpec spec, RunFolder folder) {
    RunGate gate = earlyStopping(task, spec, folder);
    FaultInjection fault = settings.fault();
    if (fault == null || fault.atStep() == 0 || !fault.runId().equals(task.getRunId())) {
      return gate;
    }
    return (step, trainer, metrics) -> {
      if (step == fault.atStep() && fault.firstTime(folder.path())) {
        throw new InjectedWorkerLoss(
            "injected loss of the worker training run " + task.getRunId() + " at step " + step);
      }
      return gate.stopsAt(step, trainer, metrics);
    };
  }

  private RunGate earlyStopping(RunTask task, RunSpec spec, RunFolder folder) {
    EarlyStopping plan = settings.earlyStopping();
    if (plan == null || !plan.enabled() || folder.resumedPastStop()) {
      return RunGate.NONE;
    }
    return new AshaGate(
        plan,
        settings.diagnostics().toOptions(),
        task.getRunId(),
        task.getConfig(),
        groups.getOrDefault(task.getConfig(), List.of(task.getRunId())),
        folder.path(),
        RunRecords.metricName(spec.family()),
        worker());
  }

  /** Emits the run's records as its folder holds them (nothing for a run never trained). */
  private void emit(RunTask task, RunSpec spec, RunFolder folder, MultiOutputReceiver out) {
    EarlyStopping plan = settings.earlyStopping();
    if (plan != null && plan.enabled()) {
      Path sweep = folder.path().getParent().getParent();
      RungLog.decisions(sweep, task.getRunId(), plan.rungs())
          .forEach(d -> out.get(DECISIONS).output(RunRecords.decision(task, d)));
    }
    RunRecords.Snapshot records = RunRecords.read(task, spec, folder, false);
    records.metrics().forEach(out.get(METRICS)::output);
    records.events().forEach(out.get(EVENTS)::output);
    records
        .result()
        .ifPresent(
            result -> {
              List<String> checkpoints =
                  checkpointsToDiagnose(folder.path(), spec, result, records.events());
              diagnose(task.getRunId(), checkpoints);
              checkpoints.forEach(out.get(CHECKPOINTS)::output);
            });
    records.run().ifPresent(out.get(RUNS)::output);
  }

  /**
   * Diagnoses the run's checkpoints into the diagnostics stage's cache here, as soon as the run
   * ends: this slot diagnoses its run while the others still train theirs, and takes the next run
   * after. On Flink the stage after training starts only when every run has ended (a shuffle lies
   * between them). Measured on the quickstart (docs/performance.md), this saves no wall time on an
   * idle machine (the CPU work is the same) but gives each run's rows as it ends and a lower peak
   * memory. A checkpoint that fails here is left to the stage, which computes (or fails on) it as
   * before.
   */
  private void diagnose(String runId, List<String> checkpoints) {
    DiagnosticsOptions options = settings.diagnostics().toOptions();
    for (String checkpoint : checkpoints) {
      try {
        if (DiagnoseOnce.diagnoseIntoCache(Path.of(checkpoint), options)) {
          diagnosed.inc();
        }
      } catch (RuntimeException e) {
        LOG.warn(
            "run {}: diagnosing {} failed here, the diagnostics stage tries it again: {}",
            runId,
            checkpoint,
            e.toString());
      }
    }
  }

  /**
   * The plan's checkpoints of the run that exist: around each pruning event, at its cadence, the
   * last.
   */
  private List<String> checkpointsToDiagnose(
      Path run, RunSpec spec, TrainingRun.Result result, List<PruneEvent> events) {
    DiagnosticsPlan plan = settings.diagnostics();
    if (!plan.enabled()) {
      return List.of();
    }
    Path checkpoints = run.resolve("checkpoints");
    Set<Path> chosen = new LinkedHashSet<>();
    if (plan.atPruning()) {
      for (PruneEvent e : events) {
        chosen.add(checkpoints.resolve(e.getCheckpointBefore()));
        chosen.add(checkpoints.resolve(e.getCheckpointAfter()));
      }
    }
    CheckpointStore store = new CheckpointStore(checkpoints, RetentionPolicy.keepAll());
    long interval = plan.every().interval(spec);
    if (interval > 0) {
      for (MetricRecord r : result.metrics()) {
        if (r.step() % interval == 0) {
          // a pruning step has no regular checkpoint: the one after the event is the state training
          // continued from
          Path regular = checkpoints.resolve(CheckpointStore.fileName(r.step(), false));
          chosen.add(
              Files.exists(regular)
                  ? regular
                  : checkpoints.resolve(CheckpointStore.fileName(r.step(), true)));
        }
      }
    }
    if (plan.atEnd()) {
      store.latestValidFile(Long.MAX_VALUE).ifPresent(found -> chosen.add(found.file()));
    }
    List<String> existing = new ArrayList<>();
    for (Path p : chosen) {
      if (Files.exists(p)) {
        existing.add(p.toString());
      }
    }
    return existing;
  }

  private static long sequenceLength(RunSpec spec) {
    return dev.polyak.data.read.ShardSet.open(spec.data()).sequenceLength();
  }

  private static double seconds(long begin) {
    return (System.nanoTime() - begin) / 1e9;
  }

  private static String worker() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
  }
}
