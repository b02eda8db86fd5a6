package dev.polyak.transforms.sweep;

import ai.djl.Device;
import dev.polyak.data.io.AvroFiles;
import dev.polyak.diag.DiagnosticRecords;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.io.Digests;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.sweep.SweepProgress;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.TrainerDiagnostics;
import dev.polyak.transforms.Diagnose;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * {@link Diagnose} with a cache in each run's folder: the rows of a checkpoint are kept in {@code
 * <runs>/<run_id>/diagnostics/<checkpoint>-<options>.avro}, so a sweep started again diagnoses only
 * the checkpoints it has not diagnosed with the same options (the options' hash is in the name). A
 * sweep's training element fills the cache for its run as soon as the run ends ({@link
 * #diagnoseIntoCache}), so on Flink, where this stage can start only once every run has ended, it
 * mostly reads; it computes what an element could not (with {@link Diagnose}, its tasks spread over
 * the workers).
 */
public final class DiagnoseOnce
    extends PTransform<PCollection<String>, PCollection<DiagnosticRecord>> {
  private static final TupleTag<DiagnosticRecord> CACHED = new TupleTag<>() {};
  private static final TupleTag<String> TO_DIAGNOSE = new TupleTag<>() {};
  private final DiagnosticsOptions options;
  private final String runs;

  /**
   * Diagnoses with {@code options} the checkpoints of runs whose folders are {@code runs/<run_id>}.
   */
  public DiagnoseOnce(DiagnosticsOptions options, Path runs) {
    this.options = options;
    this.runs = runs.toString();
  }

  @Override
  public PCollection<DiagnosticRecord> expand(PCollection<String> checkpoints) {
    String key = optionsKey(options);
    PCollectionTuple split =
        checkpoints.apply(
            "FindCached",
            ParDo.of(new SplitFn(key)).withOutputTags(CACHED, TupleTagList.of(TO_DIAGNOSE)));
    PCollection<DiagnosticRecord> cached =
        split.get(CACHED).setCoder(AvroCoder.of(DiagnosticRecord.class));
    PCollection<DiagnosticRecord> computed =
        split
            .get(TO_DIAGNOSE)
            .setCoder(StringUtf8Coder.of())
            .apply("Diagnose", Diagnose.of(options))
            .apply(
                "ByCheckpoint",
                WithKeys.of((DiagnosticRecord r) -> r.getRunId() + "/" + r.getCheckpoint())
                    .withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(DiagnosticRecord.class)))
            .apply("GroupByCheckpoint", GroupByKey.create())
            .apply("StoreInRunFolder", ParDo.of(new StoreFn(runs, key)))
            .setCoder(AvroCoder.of(DiagnosticRecord.class));
    return PCollectionList.of(cached).and(computed).apply("AllRows", Flatten.pCollections());
  }

  /**
   * Diagnoses {@code checkpoint} (a file in {@code <run folder>/checkpoints/}) with {@code options}
   * in the calling thread and stores its rows where this stage looks for them first, unless they
   * are there already. The rows are those the stage would compute ({@link Diagnose} gives exactly
   * {@link TrainerDiagnostics#run}'s), so a checkpoint cached this way reads back the same.
   *
   * @return whether it diagnosed the checkpoint (false: its rows were cached)
   */
  public static boolean diagnoseIntoCache(Path checkpoint, DiagnosticsOptions options) {
    String name = checkpoint.getFileName().toString();
    Path cache = cacheFile(checkpoint.getParent().getParent(), name, optionsKey(options));
    if (Files.exists(cache)) {
      return false;
    }
    try (RestoredRun run = RestoredRun.open(checkpoint, null, Device.cpu())) {
      int tasks = Diagnose.tasks(run.checkpoint());
      SweepProgress.diagnosticsPlanned(tasks);
      try {
        List<DiagnosticRecord> rows =
            DiagnosticRecords.of(run.runId(), name, TrainerDiagnostics.run(run.trainer(), options));
        AvroFiles.write(cache, DiagnosticRecord.class, rows);
      } catch (RuntimeException e) {
        SweepProgress.diagnosticsPlanned(-tasks);
        throw e;
      }
      for (int i = 0; i < tasks; i++) {
        SweepProgress.diagnosticDone();
      }
    }
    return true;
  }

  static String optionsKey(DiagnosticsOptions options) {
    byte[] digest = Digests.sha256().digest(options.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 4);
  }

  static Path cacheFile(Path runFolder, String checkpointName, String key) {
    String stem =
        checkpointName.endsWith(".safetensors")
            ? checkpointName.substring(0, checkpointName.length() - ".safetensors".length())
            : checkpointName;
    return runFolder.resolve("diagnostics").resolve(stem + "-" + key + ".avro");
  }

  /** Cached checkpoints' rows to CACHED; the other checkpoints to TO_DIAGNOSE. */
  static final class SplitFn extends DoFn<String, DiagnosticRecord> {
    private final String key;

    SplitFn(String key) {
      this.key = key;
    }

    @ProcessElement
    public void process(@Element String checkpoint, MultiOutputReceiver out) {
      Path file = Path.of(checkpoint);
      Path cache = cacheFile(file.getParent().getParent(), file.getFileName().toString(), key);
      if (Files.exists(cache)) {
        AvroFiles.read(cache, DiagnosticRecord.class).forEach(out.get(CACHED)::output);
      } else {
        out.get(TO_DIAGNOSE).output(checkpoint);
      }
    }
  }

  /** Writes one checkpoint's rows to its cache file (atomically) and passes them on. */
  static final class StoreFn
      extends DoFn<KV<String, Iterable<DiagnosticRecord>>, DiagnosticRecord> {
    private final String runs;
    private final String key;

    StoreFn(String runs, String key) {
      this.runs = runs;
      this.key = key;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<DiagnosticRecord>> rows,
        OutputReceiver<DiagnosticRecord> out) {
      List<DiagnosticRecord> all = new ArrayList<>();
      rows.getValue().forEach(all::add);
      DiagnosticRecord first = all.get(0);
      AvroFiles.write(
          cacheFile(Path.of(runs, first.getRunId()), first.getCheckpoint(), key),
          DiagnosticRecord.class,
          all);
      all.forEach(out::output);
    }
  }
}
