package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * summary.avro and runs.avro read with Avro's generic API only, the schema taken from the file
 * itself and no polyak class involved: what fastavro, avro-tools or Spark see.
 */
class GenericAvroReaderTest {
  @TempDir Path dir;

  private static List<GenericRecord> read(Path file) throws Exception {
    List<GenericRecord> records = new ArrayList<>();
    try (DataFileReader<GenericRecord> reader =
        new DataFileReader<>(new File(file.toString()), new GenericDatumReader<>())) {
      reader.forEach(records::add);
    }
    return records;
  }

  @Test
  void theSummaryNeedsOnlyTheFile() throws Exception {
    Path report = SweepFixture.standard().write(dir);
    SweepSummary.write(report);

    List<GenericRecord> summary = read(report.resolve("summary.avro"));
    assertThat(summary).hasSize(3);
    GenericRecord gate = summary.get(1);
    assertThat(gate.getSchema().getFullName()).isEqualTo("dev.polyak.schemas.SummaryRecord");
    assertThat(gate.get("config").toString()).isEqualTo("model=mlp method=pl-gate ratio=0.5");
    assertThat(gate.get("method").toString()).isEqualTo("pl-gate");
    assertThat((Double) gate.get("ratio")).isEqualTo(0.5);
    assertThat(
            List.of(
                gate.get("runs"), gate.get("finished"), gate.get("diverged"), gate.get("failed")))
        .containsExactly(4, 3, 1, 0);
    GenericRecord eval = (GenericRecord) gate.get("final_eval_metric");
    assertThat(eval.get("n")).isEqualTo(3);
    assertThat((Double) eval.get("mean")).isCloseTo(107, within(1e-9));
    assertThat((Double) eval.get("std")).isCloseTo(Math.sqrt(117), within(1e-9));
    assertThat((Double) eval.get("ci95_low")).isLessThan(107);
    GenericRecord versusDense = (GenericRecord) gate.get("versus_dense");
    assertThat(versusDense.get("against").toString()).isEqualTo("model=mlp method=dense");
    assertThat((Double) versusDense.get("p_value")).isCloseTo(0.18849732879931097, within(1e-12));
    assertThat((Double) gate.get("steps_ratio_to_dense")).isCloseTo(1.0, within(1e-12));

    GenericRecord dense = summary.get(0);
    assertThat(dense.get("versus_dense")).isNull();
    assertThat(dense.get("versus_random")).isNull();
  }

  @Test
  @SuppressWarnings("unchecked")
  void theRunsNeedOnlyTheFile() throws Exception {
    Path report = SweepFixture.standard().write(dir);

    List<GenericRecord> runs = read(report.resolve("runs.avro"));
    assertThat(runs).hasSize(11);
    GenericRecord failed =
        runs.stream()
            .filter(r -> r.get("status").toString().equals("FAILED"))
            .findFirst()
            .orElseThrow();
    assertThat(failed.get("run_id").toString()).isEqualTo("random-0.5-seed4");
    assertThat(failed.get("error").toString()).contains("boom");
    assertThat(failed.get("final_eval_metric")).isNull();
    GenericRecord diverged =
        runs.stream()
            .filter(r -> r.get("status").toString().equals("DIVERGED"))
            .findFirst()
            .orElseThrow();
    assertThat(diverged.get("diverged_at_step")).isEqualTo(30L);
    Map<?, ?> labels = (Map<?, ?>) diverged.get("labels");
    assertThat(labels.entrySet())
        .extracting(e -> e.getKey().toString() + "=" + e.getValue())
        .contains("method=pl-gate", "ratio=0.5", "seed=3");
    assertThat((List<Object>) diverged.get("prune_steps")).containsExactly(10L);
  }
}
