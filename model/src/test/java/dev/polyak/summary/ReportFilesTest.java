package dev.polyak.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.BadInputException;
import dev.polyak.schemas.MetricRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming a report file: every record once, and a file cut anywhere is an error naming it. */
class ReportFilesTest {
  @TempDir Path dir;

  @Test
  void everyRecordOnceInFileOrder() {
    SweepFixture fixture = SweepFixture.standard();
    Path metrics = fixture.write(dir).resolve(ReportFiles.METRICS);

    java.util.List<MetricRow> seen = new java.util.ArrayList<>();
    long count = ReportFiles.forEach(metrics, MetricRow.class, seen::add);
    assertThat(count).isEqualTo(fixture.metrics().size());
    assertThat(seen).isEqualTo(fixture.metrics());
  }

  @Test
  void aFileCutAnywhereIsBadInput() throws Exception {
    Path metrics = SweepFixture.standard().write(dir).resolve(ReportFiles.METRICS);
    byte[] whole = Files.readAllBytes(metrics);
    Path cut = dir.resolve("cut.avro");
    // Avro's own reader takes a block cut short for the end of the file and stops quietly
    for (int length = 0; length < whole.length; length += 13) {
      Files.write(cut, Arrays.copyOf(whole, length));
      assertThatThrownBy(() -> ReportFiles.forEach(cut, MetricRow.class, r -> {}))
          .as("cut at %d of %d bytes", length, whole.length)
          .isInstanceOf(BadInputException.class)
          .hasMessageStartingWith(cut.toString());
    }
  }
}
