package dev.polyak.train;

import ai.djl.ndarray.NDScope;
import dev.polyak.checkpoint.Checkpoint;
import dev.polyak.checkpoint.CheckpointStore;
import dev.polyak.checkpoint.RetentionPolicy;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.diag.KernelKind;
import dev.polyak.diag.ProbeObjective;
import dev.polyak.diag.ProbeSet;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Masks;
import dev.polyak.nn.Structure;
import dev.polyak.prune.Allocation;
import dev.polyak.prune.Importance;
import dev.polyak.prune.KeepTop;
import dev.polyak.prune.PlGate;
import dev.polyak.prune.PruningMethod;
import dev.polyak.prune.PruningSpec;
import dev.polyak.prune.ScoringContext;
import dev.polyak.prune.WeightImportance;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import dev.polyak.schemas.PruneEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.IntStream;

/**
 * Carries out a run's {@link PruningSpec} on its trainer. The schedule is read as a function of
 * state, not of history: after step t the scope must keep {@code schedule.keptAfter(t)} structures,
 * and an event happens whenever it keeps more ({@link #due}), so a run resumed from any checkpoint
 * does exactly what an uninterrupted run does, and nothing is pruned twice. An event ({@link
 * #prune}) writes a checkpoint before and after, scores the structures, keeps the best of the scope
 * (a pruned structure never comes back) and returns its {@link PruneEvent}. Structures outside the
 * scope are never touched.
 *
 * <p>The steps of an event: docs/design/pruning.md (Pruner).
 */
public final class Pruner {
  /** The stream the scoring samples are drawn from. */
  public static final String SCORING_STREAM = "pruning-scoring";

  /** The stream pl-gate's gate samples are drawn from. */
  public static final String GATE_STREAM = "pruning-gate";

  /** The names of pl-gate's v in a checkpoint's pruner state. */
  private static final String GATE_W1 = "pl-gate.w1";

  private static final String GATE_B1 = "pl-gate.b1";
  private static final String GATE_W2 = "pl-gate.w2";

  private final PruningSpec spec;
  private final String runId;
  private final CheckpointStore store;
  private final CheckpointStore rewindStore;
  private final BiFunction<Boolean, Map<String, Tensor>, Checkpoint> capture;
  private final Importance importance;

  /** Whether the scope is single weights ({@code scope: [weights]}, {@link WeightPruning}). */
  private final boolean weights;

  /**
   * pl-gate's v after the run's last event (null before the first, and always with {@code
   * gate_reset}); written into every checkpoint, so a resume continues with it.
   */
  private PlGate.Gate gate;

  /**
   * @param out the run's folder (checkpoints in {@code checkpoints/}, lth's rewind point in {@code
   *     rewind/})
   * @param capture the trainer's checkpoint now, marked as a pruning checkpoint or not, with the
   *     given pruner state
   */
  public Pruner(
      PruningSpec spec,
      String runId,
      Path out,
      CheckpointStore store,
      BiFunction<Boolean, Map<String, Tensor>, Checkpoint> capture) {
    if (!spec.prunes()) {
      throw new IllegalArgumentException("dense runs have no pruner");
    }
    this.spec = spec;
    this.runId = runId;
    this.store = store;
    this.rewindStore = new CheckpointStore(out.resolve("rewind"), RetentionPolicy.keepAll());
    this.capture = capture;
    this.importance = spec.method().importance(spec.options());
    this.weights = spec.scope().contains(Structure.Kind.WEIGHT);
  }

  /**
   * Refuses a spec this model and training budget cannot carry out, before anything trains: an
   * empty scope, a target below what protection keeps, an lth rewind point after an event.
   */
  public void check(Trainer trainer) {
    List<Structure> scope = scope(trainer.model());
    if (weights ? trainer.model().weightMasks().isEmpty() : scope.isEmpty()) {
      throw new IllegalArgumentException(
          "pruning.scope "
              + kinds()
              + ": the model has no such "
              + (weights
                  ? "prunable weights (the weights scope is for vgg16, resnet56, mlp)"
                  : "structures"));
    }
    int[] sizes = scopeSizes(trainer.model());
    int layers = sizes.length;
    int[] finalTargets =
        spec.allocation()
            .keptAfter(spec.schedule(), trainer.config().steps(), sizes, trainer.stepsPerEpoch());
    if (spec.allocation() != Allocation.GLOBAL) {
      for (int l = 0; l < sizes.length; l++) {
        if (finalTargets[l] < Math.min(spec.minPerLayer(), sizes[l])) {
          throw new IllegalArgumentException(
              "the pruning schedule (allocation "
                  + spec.allocation().id()
                  + ") keeps "
                  + finalTargets[l]
                  + " of the "
                  + sizes[l]
                  + " "
                  + kinds()
                  + " of layer "
                  + layerName(trainer.model(), scope, l)
                  + " in the end, but"
                  + " min_per_layer is "
                  + spec.minPerLayer());
        }
      }
    }
    int finalTarget = java.util.Arrays.stream(finalTargets).sum();
    long protectedCount =
        java.util.Arrays.stream(sizes).mapToLong(n -> Math.min(n, spec.minPerLayer())).sum();
    if (finalTarget < protectedCount) {
      throw new IllegalArgumentException(
          "the pruning schedule keeps "
              + finalTarget
              + " of "
              + java.util.Arrays.stream(sizes).asLongStream().sum()
              + " "
              + kinds()
              + " in the end, but min_per_layer "
              + spec.minPerLayer()
              + " keeps "
              + protectedCount
              + " ("
              + layers
              + " layers)");
    }
    if (spec.scoringSamples() > trainer.trainSize()) {
      throw new IllegalArgumentException(
          "pruning.scoring_samples "
              + spec.scoringSamples()
              + " is larger than the training"
              + " split ("
              + trainer.trainSize()
              + " samples)");
    }
    if (spec.method() == PruningMethod.LTH) {
      long rewind = rewindStep(trainer);
      long first = nextEventStep(trainer, -1, trainer.config().steps());
      if (first <= trainer.config().steps() && first <= rewind) {
        throw new IllegalArgumentException(
            "lth rewinds to step "
                + rewind
                + " (rewind_fraction "
                + spec.method().rewindFraction(spec.options())
                + ") but the schedule first prunes at step "
                + first
                + "; prune later or rewind earlier");
      }
    }
  }

  /**
   * Whether the scope keeps more structures than the schedule allows after the trainer's current
   * step.
   */
  public boolean due(Trainer trainer) {
    return keptInScope(trainer.model()) > target(trainer, trainer.step());
  }

  /**
   * Where training must stop next, at most {@code until}: the first step after the trainer's
   * current one after which the schedule prunes, or for lth the rewind point, whichever comes
   * first.
   */
  public long nextStop(Trainer trainer, long until) {
    long stop = Math.min(until, nextEventStep(trainer, trainer.step(), until));
    if (spec.method() == PruningMethod.LTH) {
      long rewind = rewindStep(trainer);
      if (rewind > trainer.step() && rewind < stop) {
        stop = rewind;
      }
    }
    return stop;
  }

  /**
   * The first step in {@code (after, until]} after which the schedule prunes, or {@code until + 1}
   * if none.
   */
  private long nextEventStep(Trainer trainer, long after, long until) {
    int[] sizes = scopeSizes(trainer.model());
    for (long s = Math.max(0, after + 1); s <= until; s++) {
      if (spec.allocation().prunesAt(spec.schedule(), s, sizes, trainer.stepsPerEpoch())) {
        return s;
      }
    }
    return until + 1;
  }

  /**
   * For lth: the step whose weights are the rewind point, {@code round(rewind_fraction × steps)}.
   */
  private long rewindStep(Trainer trainer) {
    return Math.round(spec.method().rewindFraction(spec.options()) * trainer.config().steps());
  }

  /**
   * The step at which the learning-rate schedule is read for each optimizer step ({@link
   * Trainer#setLearningRateClock}): the step itself, except for lth with {@code rewind_schedule:
   * true}, where after each event at step e the schedule starts again from the rewind step r, so
   * step s ≥ e reads it at r + (s − e) (e the last event at or before s). A function of the
   * schedule, so a resumed run reads the same rates.
   */
  public java.util.function.LongUnaryOperator learningRateClock(Trainer trainer) {
    if (!spec.method().rewindsSchedule(spec.options())) {
      return s -> s;
    }
    long rewind = rewindStep(trainer);
    java.util.TreeSet<Long> events = new java.util.TreeSet<>();
    long steps = trainer.config().steps();
    for (long e = nextEventStep(trainer, -1, steps);
        e <= steps;
        e = nextEventStep(trainer, e, steps)) {
      events.add(e);
    }
    return s -> {
      Long last = events.floor(s);
      return last == null ? s : rewind + (s - last);
    };
  }

  /** For lth: saves the rewind point when the trainer stands at it and it is not saved yet. */
  public void saveRewindPointIfDue(Trainer trainer) {
    if (spec.method() == PruningMethod.LTH
        && trainer.step() == rewindStep(trainer)
        && rewindStore
            .latestValid(trainer.step())
            .filter(c -> c.step() == trainer.step())
            .isEmpty()) {
      rewindStore.save(checkpoint(false));
    }
  }

  /** Carries out the event due at the trainer's current step (see the class comment). */
  public PruneEvent prune(Trainer trainer) {
    long started = System.nanoTime();
    MaskedModel model = trainer.model();
    List<Structure> all = model.structures();
    int[] scopeIndices =
        IntStream.range(0, all.size())
            .filter(i -> spec.scope().contains(all.get(i).kind()))
            .toArray();
    List<Structure> scope = IntStream.of(scopeIndices).mapToObj(all::get).toList();
    int target = target(trainer, trainer.step());
    int event = eventIndex(trainer);
    long parametersBefore = model.keptParameters();
    long flopsBefore = model.flopsPerSample();
    Path before = store.saveBeforePruning(checkpoint(true));
    String gateBefore = gate == null ? null : gate.sha256();
    int[] layerTargets =
        spec.allocation()
            .keptAfter(spec.schedule(), trainer.step(), scopeSizes(model), trainer.stepsPerEpoch());
    Scoring scoring;
    Selection selection;
    if (weights) {
      WeightImportance weightImportance = spec.method().weightImportance(spec.options());
      Scored<java.util.Map<String, double[]>> scored =
          score(trainer, model, event, weightImportance::weightScores);
      scoring =
          new Scoring(
              new Importance.Scored(new double[0], new double[0]),
              scored.samples(),
              scored.seconds(),
              null,
              0);
      WeightPruning.Result result =
          WeightPruning.select(trainer, scored.value(), layerTargets, spec.minPerLayer());
      selection =
          new Selection(
              result.names(),
              result.scores(),
              result.keptBefore(),
              result.keptAfter(),
              result.weightsBefore(),
              result.weightsAfter());
    } else {
      scoring = score(trainer, model, event);
      selection =
          keepTop(model.masks(), scope, scopeIndices, scoring.scored().scores(), layerTargets);
    }
    Long rewoundTo = rewindIfLth(trainer);
    if (weights) {
      WeightPruning.zeroRemoved(trainer);
    } else if (spec.compact()) {
      TrainerCompaction.compactPruned(trainer);
    }
    Path after = store.save(checkpoint(true));
    return PruneEvent.newBuilder()
        .setRunId(runId)
        .setStep(trainer.step())
        .setEvent(event)
        .setMethod(spec.method().id())
        .setMethodOptions(new java.util.LinkedHashMap<>(spec.method().describe(spec.options())))
        .setKernel(spec.method().kernel(spec.options()).map(KernelKind::toString).orElse("none"))
        .setScope(new ArrayList<>(kindSet()))
        .setStructureIds(new ArrayList<>(selection.ids()))
        .setScores(selection.scores())
        .setKeptBefore(selection.keptBefore())
        .setKeptAfter(selection.keptAfter())
        .setTargetKept(target)
        .setMinPerLayer(spec.minPerLayer())
        .setAllocation(spec.allocation().id())
        .setKeptParametersBefore(parametersBefore)
        .setKeptParametersAfter(model.keptParameters())
        .setFlopsBefore(flopsBefore)
        .setFlopsAfter(model.flopsPerSample())
        .setScoringSamples(scoring.samples())
        .setWallSeconds((System.nanoTime() - started) / 1e9)
        .setScoringSeconds(scoring.seconds())
        .setCheckpointBefore(before.getFileName().toString())
        .setCheckpointAfter(after.getFileName().toString())
        .setRewoundToStep(rewoundTo)
        .setObjectiveTrace(
            java.util.Arrays.stream(scoring.scored().objectiveTrace()).boxed().toList())
        .setGateSha256Before(scoring.gate() == null ? null : gateBefore)
        .setGateSha256(scoring.gate() == null ? null : scoring.gate().sha256())
        .setGateSamples(scoring.gate() == null ? null : scoring.gateSamples())
        .setKeptWeightsBefore(selection.weightsBefore())
        .setKeptWeightsAfter(selection.weightsAfter())
        .build();
  }

  /** The trainer's checkpoint now, with the pruner's state. */
  public Checkpoint checkpoint(boolean pruning) {
    return capture.apply(pruning, state());
  }

  /** What the pruner carries from one event to the next: pl-gate's v, unless reset each event. */
  public Map<String, Tensor> state() {
    if (gate == null) {
      return Map.of();
    }
    return Map.of(
        GATE_W1, Tensor.ofFloats(gate.w1(), 2, gate.width()),
        GATE_B1, Tensor.ofFloats(gate.b1(), gate.width()),
        GATE_W2, Tensor.ofFloats(gate.w2(), gate.width()));
  }

  /** Takes the pruner's state from the checkpoint a run resumes from. */
  public void restore(Checkpoint checkpoint) {
    Map<String, Tensor> state = checkpoint.prunerState();
    gate =
        state.containsKey(GATE_W1)
            ? new PlGate.Gate(
                state.get(GATE_W1).floats(),
                state.get(GATE_B1).floats(),
                state.get(GATE_W2).floats())
            : null;
  }

  /**
   * The kernel of the scoring samples' per-sample scalars: the method's {@code kernel} option for
   * kappa-rank and pl-gate; the loss for the rest, which read only the objective's task loss.
   */
  private KernelKind kernel() {
    return spec.method().kernel(spec.options()).orElse(KernelKind.LOSS);
  }

  /**
   * An event's scores of every structure, the number of samples they were computed on, and the time
   * it took.
   */
  private record Scoring(
      Importance.Scored scored, int samples, double seconds, PlGate.Gate gate, int gateSamples) {}

  /**
   * The scope's ids and scores in model order, and which structures it kept before and after the
   * event.
   */
  private record Selection(
      List<String> ids,
      List<Double> scores,
      List<Boolean> keptBefore,
      List<Boolean> keptAfter,
      List<Long> weightsBefore,
      List<Long> weightsAfter) {}

  /** A scoring's result, the samples it used and its time. */
  private record Scored<T>(T value, int samples, double seconds) {}

  /**
   * Scores every structure with the method's {@link Importance} on the event's scoring samples; the
   * model's gates are cleared afterwards.
   */
  private Scoring score(Trainer trainer, MaskedModel model, int event) {
    PlGate.Result[] gated = new PlGate.Result[1];
    Scored<Importance.Scored> result =
        score(
            trainer,
            model,
            event,
            context -> {
              if (importance instanceof PlGate plGate) {
                gated[0] = plGate.run(context, gateSetup(trainer, plGate.options(), event));
                gate = plGate.options().gateReset() ? null : gated[0].gate();
                return new Importance.Scored(gated[0].scores(), gated[0].objective());
              }
              return importance.score(context);
            });
    double[] scores = result.value().scores();
    int structures = model.structures().size();
    if (scores.length != structures) {
      throw new IllegalStateException(
          spec.method().id()
              + " gave "
              + scores.length
              + " scores for "
              + structures
              + " structures");
    }
    return new Scoring(
        result.value(),
        result.samples(),
        result.seconds(),
        gated[0] == null ? null : gated[0].gate(),
        gated[0] == null ? 0 : gated[0].gateSamples());
  }

  /**
   * What pl-gate's gate starts from and learns on at this event: the run's v (none with {@code
   * gate_reset}), {@code gate_samples} training samples from the run seed's {@link #GATE_STREAM} at
   * the event's position (or the scoring samples), and the scope.
   */
  private PlGate.Setup gateSetup(Trainer trainer, PlGate.Options options, int event) {
    ProbeObjective samples = null;
    if (options.gateSamples() != PlGate.Options.GATE_SAMPLES_SCORING) {
      RandomStream stream = new RandomStreams(trainer.config().seed()).stream(GATE_STREAM);
      stream.seek((long) event << 32);
      int n = Math.min(options.gateSamples(), trainer.trainSize());
      samples =
          trainer.probes(
              ProbeSet.select(stream, trainer.trainSize(), n, "pruning.options.gate_samples"),
              KernelKind.LOSS);
    }
    return new PlGate.Setup(
        options.gateReset() ? null : gate,
        samples,
        PlGate.Setup.inScope(trainer.model().structures(), spec.scope()));
  }

  /**
   * Runs {@code scoring} on the event's scoring samples (structure or weight scores); the model's
   * gates are cleared afterwards.
   */
  private <T> Scored<T> score(
      Trainer trainer,
      MaskedModel model,
      int event,
      java.util.function.Function<ScoringContext, T> scoring) {
    long scoringStarted = System.nanoTime();
    int n = Math.min(spec.scoringSamples(), trainer.trainSize());
    RandomStream stream = new RandomStreams(trainer.config().seed()).stream(SCORING_STREAM);
    stream.seek((long) event << 32);
    int[] samples = ProbeSet.select(stream, trainer.trainSize(), n, "pruning.scoring_samples");
    T value;
    try (NDScope scope = new NDScope()) {
      value =
          scoring.apply(
              new ScoringContext(
                  trainer.probes(samples, kernel()),
                  trainer.config().seed(),
                  event,
                  trainer.step(),
                  spec.scoringBatch()));
    } finally {
      model.clearGates();
    }
    return new Scored<>(value, n, (System.nanoTime() - scoringStarted) / 1e9);
  }

  /**
   * Keeps the best of the scope ({@link KeepTop}; a structure pruned before ranks −∞ and stays
   * pruned), {@code targets} over the whole scope (one entry, global) or per layer, and sets the
   * masks accordingly.
   */
  private Selection keepTop(
      Masks masks, List<Structure> scope, int[] scopeIndices, double[] scores, int[] targets) {
    List<String> ids = new ArrayList<>();
    List<Double> scopeScores = new ArrayList<>();
    double[] ranked = new double[scope.size()];
    List<Boolean> keptBefore = new ArrayList<>();
    for (int i = 0; i < scope.size(); i++) {
      Structure s = scope.get(i);
      boolean kept = masks.kept(s.layer(), s.index());
      ids.add(s.id());
      scopeScores.add(scores[scopeIndices[i]]);
      keptBefore.add(kept);
      ranked[i] = kept ? scores[scopeIndices[i]] : Double.NEGATIVE_INFINITY;
    }
    boolean[] keep =
        spec.allocation() == Allocation.GLOBAL
            ? KeepTop.select(scope, ranked, targets[0], spec.minPerLayer())
            : KeepTop.perLayer(scope, ranked, targets, spec.minPerLayer());
    List<Boolean> keptAfter = new ArrayList<>();
    for (int i = 0; i < scope.size(); i++) {
      Structure s = scope.get(i);
      boolean k = keep[i] && keptBefore.get(i);
      masks.set(s.layer(), s.index(), k);
      keptAfter.add(k);
    }
    return new Selection(ids, scopeScores, keptBefore, keptAfter, List.of(), List.of());
  }

  /**
   * For lth: sets weights and optimizer state back to the rewind point and returns its step;
   * otherwise null.
   */
  private Long rewindIfLth(Trainer trainer) {
    if (spec.method() != PruningMethod.LTH) {
      return null;
    }
    long rewind = rewindStep(trainer);
    Checkpoint point =
        rewindStore
            .latestValid(rewind)
            .filter(c -> c.step() == rewind)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "lth: no valid rewind point at step "
                            + rewind
                            + " in "
                            + rewindStore.folder()));
    TrainerCheckpoints.restoreWeightsAndOptimizer(trainer, point);
    return rewind;
  }

  /** The scope's structures in model order. */
  public List<Structure> scope(MaskedModel model) {
    return model.structures().stream().filter(s -> spec.scope().contains(s.kind())).toList();
  }

  private TreeSet<String> kindSet() {
    TreeSet<String> names = new TreeSet<>();
    spec.scope().forEach(k -> names.add(PruningSpec.kindName(k)));
    return names;
  }

  /** The scope's kinds as a run file writes them, e.g. {@code heads, experts}. */
  private String kinds() {
    return String.join(", ", kindSet());
  }

  private int target(Trainer trainer, long step) {
    return spec.allocation()
        .totalKeptAfter(
            spec.schedule(), step, scopeSizes(trainer.model()), trainer.stepsPerEpoch());
  }

  /**
   * The scope's layer sizes, layers in ascending order: structures per layer, or for the weights
   * scope elements per prunable weight.
   */
  private int[] scopeSizes(MaskedModel model) {
    return weights ? WeightPruning.sizes(model) : layerSizes(scope(model));
  }

  /** The scope's units kept now: structures, or single weights. */
  private int keptInScope(MaskedModel model) {
    return weights ? WeightPruning.kept(model) : keptCount(model, scope(model));
  }

  /** The name of the scope's layer {@code l} in errors: its mask group, or its weight tensor. */
  private String layerName(MaskedModel model, List<Structure> scope, int l) {
    return weights
        ? WeightPruning.layerName(model, l)
        : Integer.toString(
            scope.stream().mapToInt(Structure::layer).distinct().sorted().toArray()[l]);
  }

  /** The number of structures of each layer of the scope, layers in ascending order. */
  private static int[] layerSizes(List<Structure> scope) {
    return scope.stream()
        .collect(
            java.util.stream.Collectors.groupingBy(
                Structure::layer, java.util.TreeMap::new, java.util.stream.Collectors.counting()))
        .values()
        .stream()
        .mapToInt(Long::intValue)
        .toArray();
  }

  private static int keptCount(MaskedModel model, List<Structure> scope) {
    int kept = 0;
    for (Structure s : scope) {
      kept += model.masks().kept(s.layer(), s.index()) ? 1 : 0;
    }
    return kept;
  }

  /**
   * The number of schedule events before the current step: the event's index, the same on resume.
   */
  private int eventIndex(Trainer trainer) {
    int[] sizes = scopeSizes(trainer.model());
    int events = 0;
    for (long s = 0; s < trainer.step(); s++) {
      events +=
          spec.allocation().prunesAt(spec.schedule(), s, sizes, trainer.stepsPerEpoch()) ? 1 : 0;
    }
    return events;
  }
}
