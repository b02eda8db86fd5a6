package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.sweep.Cell;
import dev.polyak.sweep.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runbook's sweep file is a valid sweep of 100 seeds on GPUs, with every path on the shared
 * volume.
 */
class ExampleSweepTest {
  @Test
  void theRunbooksSweepIs300GpuRunsOf100SeedsOnTheSharedVolume() {
    Path file = DeployTree.deploy().resolve("k8s/sweep-100-seeds.yaml");

    SweepSpec sweep = SweepSpec.load(file);

    assertThat(sweep.device()).isEqualTo("gpu");
    assertThat(sweep.cells()).hasSize(300);
    assertThat(sweep.cells().stream().map(Cell::seed).distinct()).hasSize(100);
    assertThat(sweep.cells().stream().map(Cell::method).distinct())
        .containsExactlyInAnyOrder("dense", "pl-gate", "random");
    assertThat(sweep.out()).isEqualTo("/polyak/sweeps/bert-small-wt103");
    assertThat(sweep.cells())
        .allSatisfy(c -> assertThat(c.runYaml()).contains("/polyak/shards/wt103"));
    assertThat(sweep.diagnostics().enabled()).isTrue();
    // no periodic diagnostics: each run keeps its two newest checkpoints and those around the
    // event, as sized
    assertThat(sweep.diagnostics().every()).isEqualTo(dev.polyak.sweep.DiagnosticsPlan.Every.NONE);
    assertThat(sweep.cells()).allSatisfy(c -> assertThat(c.spec().keepEvery()).isZero());
  }

  @Test
  void theRunbookShowsTheFileAsItIs() throws IOException {
    List<String> file =
        Files.readAllLines(DeployTree.deploy().resolve("k8s/sweep-100-seeds.yaml")).stream()
            .filter(l -> !l.startsWith("#"))
            .toList();
    String readme = Files.readString(DeployTree.deploy().resolve("README.md"));
    int start = readme.indexOf("```yaml\nmodel: bert-small\n");

    assertThat(start).as("deploy/README.md shows the sweep file in a yaml block").isNotNegative();
    String block = readme.substring(start + "```yaml\n".length(), readme.indexOf("```", start + 7));
    assertThat(block.lines().toList()).isEqualTo(file);
  }
}
