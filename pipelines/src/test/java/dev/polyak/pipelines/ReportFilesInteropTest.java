package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.io.Digests;
import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunTask;
import dev.polyak.summary.ReportFiles;
import dev.polyak.sweep.RunPolicy;
import dev.polyak.sweep.SweepSpec;
import dev.polyak.testing.TestShardSets;
import dev.polyak.transforms.sweep.TrainRunFn;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report files of a real sweep (an MLP grid on synthetic CIFAR, the DirectRunner) as someone
 * without polyak reads them: Avro's generic API, the schema taken from each file, no generated
 * class. The files the sweep's Beam job writes (runs, metrics, prune_events, diagnostics) and the
 * driver's summary.avro; summary.avro and report.html are also rebuilt by {@code polyak report} in
 * a JVM of its own, from the same records in another order, and come out byte-identical.
 */
class ReportFilesInteropTest {
  @TempDir static Path dir;
  static Path out;
  static Path report;

  @BeforeAll
  static void sweep() throws Exception {
    Path shards = TestShardSets.syntheticCifar10(dir, 4, 32);
    String yaml =
        SweepPipelineTest.common(shards)
            + String.join(
                "\n",
                "pruning: {step: 10}",
                "grid:",
                "  method: [dense, magnitude]",
                "  ratio: [0.5]",
                "  seed: 0..1",
                "diagnostics: {at: [pruning, end], probe_samples: 8, hutchinson_probes: 1, structures: [neuron]}",
                "");
    SweepSpec spec = SweepSpec.parse(yaml, dir);
    out = dir.resolve("sweep");
    List<RunTask> tasks = SweepPipeline.tasks(spec.cells(), out);
    SweepPipeline.run(
        new SweepPipeline.SweepJob(
            tasks,
            out,
            new TrainRunFn.Settings(RunPolicy.standard(), spec.diagnostics(), "cpu", 1, null)),
        TestJobs.direct(2));
    report = out.resolve(SweepPipeline.REPORT);
    dev.polyak.service.Reports.write(report);
  }

  /**
   * Every record of an Avro container file, read with the schema the file carries and nothing else.
   */
  private static List<GenericRecord> readGeneric(Path file) throws Exception {
    List<GenericRecord> records = new ArrayList<>();
    try (DataFileReader<GenericRecord> reader =
        new DataFileReader<>(new File(file.toString()), new GenericDatumReader<>())) {
      reader.forEach(records::add);
    }
    return records;
  }

  /** {@code records} by the string form of {@code key}, which must be unique. */
  private static Map<String, GenericRecord> by(
      List<GenericRecord> records, Function<GenericRecord, String> key) {
    Map<String, GenericRecord> map = new TreeMap<>();
    records.forEach(r -> assertThat(map.put(key.apply(r), r)).as("key %s", key.apply(r)).isNull());
    return map;
  }

  @Test
  void everyReportFileReadsWithAvrosGenericApiAlone() throws Exception {
    // 2 methods x 2 seeds; evaluations at steps 10 and 20; the 2 magnitude runs prune once, at step
    // 10.
    Map<String, GenericRecord> runs =
        by(readGeneric(report.resolve(ReportFiles.RUNS)), r -> r.get("run_id").toString());
    assertThat(runs).hasSize(4);
    assertThat(runs.values())
        .allSatisfy(
            r -> {
              assertThat(r.getSchema().getFullName()).isEqualTo("dev.polyak.schemas.RunRecord");
              assertThat(r.get("status").toString()).isEqualTo("FINISHED");
              assertThat(r.get("last_good_step")).isEqualTo(20L);
            });
    assertThat(runs.values())
        .extracting(r -> r.get("method").toString())
        .containsExactlyInAnyOrder("dense", "dense", "magnitude", "magnitude");

    Map<String, GenericRecord> metrics =
        by(
            readGeneric(report.resolve(ReportFiles.METRICS)),
            m -> m.get("run_id") + "/" + m.get("step"));
    assertThat(metrics).hasSize(8);
    assertThat(metrics.values()).extracting(m -> (Long) m.get("step")).containsOnly(10L, 20L);
    assertThat(metrics.values())
        .extracting(m -> m.get("run_id").toString())
        .containsOnlyElementsOf(runs.keySet());

    List<GenericRecord> events = readGeneric(report.resolve(ReportFiles.PRUNE_EVENTS));
    assertThat(events)
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.getSchema().getFullName()).isEqualTo("dev.polyak.schemas.PruneEvent");
              assertThat(e.get("step")).isEqualTo(10L);
              assertThat(runs.get(e.get("run_id").toString()).get("method").toString())
                  .isEqualTo("magnitude");
            });

    // Pruned runs: the checkpoints before and after the event and the end; dense runs: steps 10 and
    // 20;
    // each 8 neurons and the whole model.
    Map<String, GenericRecord> diagnostics =
        by(
            readGeneric(report.resolve(ReportFiles.DIAGNOSTICS)),
            d -> d.get("run_id") + "/" + d.get("checkpoint") + "/" + d.get("structure_id"));
    assertThat(diagnostics).hasSize((2 * 3 + 2 * 2) * 9);

    List<GenericRecord> summary = readGeneric(report.resolve(ReportFiles.SUMMARY));
    assertThat(summary)
        .extracting(s -> s.get("config") + " " + s.get("runs") + " " + s.get("finished"))
        .containsExactly("model=mlp method=dense 2 2", "model=mlp method=magnitude ratio=0.5 2 2");

    // The generic records carry the same values polyak's generated classes read (eval loss per run
    // and step).
    for (MetricRow row : AvroFiles.read(report.resolve(ReportFiles.METRICS), MetricRow.class)) {
      assertThat(metrics.get(row.getRunId() + "/" + row.getStep()).get("eval_loss"))
          .isEqualTo(row.getEvalLoss());
    }
  }

  @Test
  void summaryAndPageAreRebuiltByteIdenticallyInAnotherProcess() throws Exception {
    // The same records, written again in reverse order (other block bytes, another sync marker).
    Path again = dir.resolve("again");
    Path copy = Files.createDirectories(again.resolve(SweepPipeline.REPORT));
    for (String name : List.of(ReportFiles.DIAGNOSTICS, ReportFiles.PRUNE_EVENTS)) {
      Files.copy(report.resolve(name), copy.resolve(name));
    }
    List<RunRecord> runs =
        new ArrayList<>(AvroFiles.read(report.resolve(ReportFiles.RUNS), RunRecord.class));
    Collections.reverse(runs);
    AvroFiles.write(copy.resolve(ReportFiles.RUNS), RunRecord.class, runs);
    List<MetricRow> metrics =
        new ArrayList<>(AvroFiles.read(report.resolve(ReportFiles.METRICS), MetricRow.class));
    Collections.reverse(metrics);
    AvroFiles.write(copy.resolve(ReportFiles.METRICS), MetricRow.class, metrics);
    assertThat(Digests.sha256Hex(copy.resolve(ReportFiles.METRICS)))
        .isNotEqualTo(Digests.sha256Hex(report.resolve(ReportFiles.METRICS)));

    PolyakProcess.start(
            "report",
            PolyakProcess.UNUSUAL_JVM,
            List.of("report", "--sweep", again.toString()),
            dir.resolve("report.log"))
        .awaitSuccess();

    for (String name : List.of(ReportFiles.SUMMARY, ReportFiles.HTML)) {
      assertThat(copy.resolve(name)).exists();
      assertThat(Digests.sha256Hex(copy.resolve(name)))
          .as(name)
          .isEqualTo(Digests.sha256Hex(report.resolve(name)));
    }
  }
}
