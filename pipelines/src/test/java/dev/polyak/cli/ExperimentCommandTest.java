package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.FullSweepComparison;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunStatus;
import dev.polyak.schemas.RungDecision;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.service.Experiments;
import dev.polyak.sweep.SweepSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak experiment list|show|run}: the paper's results, shipped as sweep files at three
 * scales, listed, printed as shipped, refused without their data, and every one run at smoke scale.
 */
class ExperimentCommandTest {
  /** The shipped files, read from the source tree, not through the code under test. */
  private static final Path SHIPPED = Path.of("src/main/resources/dev/polyak/experiments");

  /** One experiment per result the issue lists, in the paper's order. */
  private static final List<String> EXPERIMENTS =
      List.of(
          "table1-bert-heads",
          "table2-switch-experts",
          "table2-switch-heads-experts",
          "table3-vgg16-cifar10",
          "table3-vgg16-cifar100",
          "table5-resnet56-cifar10",
          "figure1-masked-t",
          "figures3-5-iterative",
          "table9-one-shot-vs-linear",
          "table14-seed-sensitivity");

  @TempDir Path dir;

  @Test
  void listShowsEveryExperimentAndEveryOneParsesAtEveryScaleWithClaims() throws IOException {
    CliRun list = CliRun.of("experiment", "list");

    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out().lines().map(line -> line.split(" +")[0]))
        .containsExactlyElementsOf(EXPERIMENTS);
    try (Stream<Path> folders = Files.list(SHIPPED)) {
      assertThat(folders.filter(Files::isDirectory).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(EXPERIMENTS);
    }
    for (String name : EXPERIMENTS) {
      for (Experiments.Scale scale : Experiments.Scale.values()) {
        String file = Files.readString(SHIPPED.resolve(name).resolve(scale.id() + ".yaml"));
        SweepSpec sweep = SweepSpec.parse(file, dir);
        assertThat(sweep.cells()).as("%s %s", name, scale).isNotEmpty();
        assertThat(file).as("%s %s", name, scale).contains("\nclaims:\n").contains("statistic: ");
      }
    }
  }

  @Test
  void showPrintsTheShippedFileAndAnUnknownNameIsAMistakeListingTheOthers() throws IOException {
    for (String scale : List.of("smoke", "reduced", "paper")) {
      CliRun show = CliRun.of("experiment", "show", "figure1-masked-t", "--scale", scale);

      assertThat(show.code()).as(show.err()).isZero();
      assertThat(show.out())
          .isEqualTo(
              Files.readString(
                  SHIPPED.resolve("figure1-masked-t/" + scale + ".yaml"), StandardCharsets.UTF_8));
    }
    CliRun unknown = CliRun.of("experiment", "show", "table99");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err())
        .startsWith("polyak: error: no experiment 'table99'; polyak ships table1-bert-heads, ");
    CliRun badScale = CliRun.of("experiment", "show", "table1-bert-heads", "--scale", "huge");
    assertThat(badScale.code()).isEqualTo(2);
    assertThat(badScale.err()).contains("--scale: unknown scale 'huge'");
  }

  @Test
  void missingShardsAreRefusedBeforeAnythingTrainsNamingTheCommandsThatPrepareThem() {
    CliRun r =
        CliRun.of(
            "experiment",
            "run",
            "table1-bert-heads",
            "--scale",
            "reduced",
            "--root",
            dir.toString(),
            "--runner",
            "DirectRunner");

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("the shards " + dir.resolve("shards/wikitext-2") + " are missing")
        .contains(
            "polyak download wikitext-2 --to data && polyak preprocess wikitext --input"
                + " data/wikitext-2 --out shards/wikitext-2");
    assertThat(dir.resolve("experiments")).doesNotExist();
  }

  @Test
  void thePaperScaleDryRunPrintsThePublishedProtocolAndAWorkEstimate() {
    CliRun r = paperDryRun("table3-vgg16-cifar10");

    assertThat(r.code()).as(r.err()).isZero();
    // 3 seeds x (dense + pl-gate, fpgm, chip, dpfps, lth, snip, grasp) = 24 cells of 156,200
    // steps: 3,748,800 steps at VGG-16's measured 1.2 s a step on one core = 4,498,560 s =
    // 1,249.6 CPU hours.
    assertThat(r.out())
        .contains("pruning: {schedule: linear, start_epoch: 15, end_epoch: 30, final_ratio: 0.5}")
        .contains("steps: 156200")
        .contains("data shards/cifar-10: the shards " + dir.resolve("shards/cifar-10"))
        .contains("24 cells")
        .contains("3,748,800 training steps")
        .contains("about 1,249.6 CPU hours");
    assertThat(dir.resolve("experiments")).doesNotExist();
  }

  /**
   * Table 3 on CIFAR-100 has Table 3's 24 cells; Table 5 has no CHIP: 3 seeds x 7 methods = 21
   * cells of 156,200 steps = 3,280,200 steps, at ResNet-56's 0.9 s a step 820 CPU hours.
   */
  @Test
  void theOtherCnnTablesPassAPaperScaleDryRunWithAWorkEstimate() {
    for (String[] expected :
        new String[][] {
          {"table3-vgg16-cifar100", "24 cells, 3,748,800 training steps", "about 1,249.6 CPU"},
          {"table5-resnet56-cifar10", "21 cells, 3,280,200 training steps", "about 820."}
        }) {
      CliRun r = paperDryRun(expected[0]);

      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out())
          .as(expected[0])
          .contains("steps: 156200")
          .contains(expected[1])
          .contains(expected[2])
          .contains("scope: [weights]");
    }
    assertThat(dir.resolve("experiments")).doesNotExist();
  }

  private CliRun paperDryRun(String name) {
    return CliRun.of(
        "experiment", "run", name, "--scale", "paper", "--dry-run", "--root", dir.toString());
  }

  @Test
  void everyExperimentRunsAtSmokeScaleAndWritesItsReport() {
    for (String name : EXPERIMENTS) {
      if (!System.getProperty("polyak.experiments", name).contains(name)) {
        continue; // -Dpolyak.experiments=NAME,... runs only those
      }
      CliRun r =
          CliRun.of("experiment", "run", name, "--root", dir.toString(), "--parallelism", "2");

      assertThat(r.code()).as("%s%n%s%n%s", name, r.out(), r.err()).isZero();
      Path folder = dir.resolve("experiments").resolve(name).resolve("smoke");
      int cells = Experiments.sweep(name, Experiments.Scale.SMOKE, dir).cells().size();
      List<RunRecord> runs = AvroFiles.read(folder.resolve("report/runs.avro"), RunRecord.class);
      assertThat(runs)
          .as(name)
          .hasSize(cells)
          .allSatisfy(run -> assertThat(run.getStatus()).isEqualTo(RunStatus.FINISHED));
      assertThat(folder.resolve("report/report.html")).isRegularFile();
      // the CNN tables' SNIP, GraSP and LTH prune single weights (the paper's protocol), DPFPS
      // filters
      java.util.Map<String, String> methodOfRun = new java.util.HashMap<>();
      runs.forEach(run -> methodOfRun.put(run.getRunId(), run.getLabels().get("method")));
      for (PruneEvent e :
          AvroFiles.read(folder.resolve("report/prune_events.avro"), PruneEvent.class)) {
        String method = methodOfRun.get(e.getRunId());
        if (method.endsWith("-weights")) {
          assertThat(e.getScope()).as("%s %s", name, method).containsExactly("weights");
          assertThat(e.getKeptWeightsAfter().stream().mapToLong(Long::longValue).sum())
              .isEqualTo(e.getTargetKept());
        } else if (method.equals("dpfps")) {
          assertThat(e.getScope()).as("%s %s", name, method).containsExactly("filters");
        }
      }
      if (name.startsWith("table3-") || name.startsWith("table5-")) {
        assertThat(methodOfRun.values())
            .contains("dpfps", "lth-weights", "snip-weights", "grasp-weights");
      }
      assertThat(folder.resolve("experiment.yaml"))
          .hasContent(Experiments.sweepFile(name, Experiments.Scale.SMOKE));
    }
  }

  /**
   * Table 14 offers early stopping without touching its claims: the variant is the shipped file
   * without its claims plus an ASHA block, the same cells (run ids), and run after the shipped
   * sweep its report says whether each config's best seed there survived.
   */
  @Test
  void table14OffersEarlyStoppingWithoutItsClaimsComparedWithTheShippedSweep() throws Exception {
    String name = "table14-seed-sensitivity";
    String shipped = Experiments.sweepFile(name, Experiments.Scale.SMOKE);
    CliRun show =
        CliRun.of("experiment", "show", name, "--scale", "smoke", "--early-stopping", "eval");
    assertThat(show.code()).as(show.err()).isZero();
    assertThat(show.out())
        .startsWith(shipped.substring(0, shipped.indexOf("\nclaims:\n") + 1))
        .doesNotContain("\nclaims:")
        .endsWith("early_stopping: {rule: asha, signal: eval, rungs: [4,8], reduction: 3}\n");
    SweepSpec variant = SweepSpec.parse(show.out(), dir);
    assertThat(variant.claims()).isEmpty();
    assertThat(variant.earlyStopping().rungs()).containsExactly(4L, 8L);
    assertThat(variant.cells().stream().map(c -> c.runId()).toList())
        .isEqualTo(SweepSpec.parse(shipped, dir).cells().stream().map(c -> c.runId()).toList());
    // every scale's rungs fit its file (multiples of checkpoint_every below steps)
    for (Experiments.Scale scale : Experiments.Scale.values()) {
      assertThat(
              SweepSpec.parse(Experiments.earlyStoppingFile(name, scale, "kappa"), dir)
                  .earlyStopping()
                  .enabled())
          .as("%s", scale)
          .isTrue();
    }
    CliRun other =
        CliRun.of("experiment", "show", "table1-bert-heads", "--early-stopping", "kappa");
    assertThat(other.code()).isEqualTo(2);
    assertThat(other.err())
        .contains(
            "--early-stopping: experiment table1-bert-heads offers no early stopping;"
                + " table14-seed-sensitivity does");

    CliRun whole = CliRun.of("experiment", "run", name, "--root", dir.toString());
    assertThat(whole.code()).as(whole.out() + whole.err()).isZero();
    CliRun asha =
        CliRun.of("experiment", "run", name, "--early-stopping", "eval", "--root", dir.toString());
    assertThat(asha.code()).as(asha.out() + asha.err()).isZero();
    Path full = dir.resolve("experiments").resolve(name).resolve("smoke");
    Path folder = full.resolveSibling("smoke-asha-eval");
    assertThat(asha.out())
        .contains("compared with the same cells run to the end in " + full.toAbsolutePath());
    assertThat(folder.resolve("experiment.yaml")).hasContent(show.out());

    // By hand: each config's best seed in the full sweep (lowest final perplexity), and whether a
    // decision of the variant stopped it.
    List<RunRecord> fullRuns = AvroFiles.read(full.resolve("report/runs.avro"), RunRecord.class);
    List<RungDecision> decisions =
        AvroFiles.read(folder.resolve("report/early_stopping.avro"), RungDecision.class);
    List<SummaryRecord> summary =
        AvroFiles.read(folder.resolve("report/summary.avro"), SummaryRecord.class);
    assertThat(summary).hasSize(2);
    for (SummaryRecord s : summary) {
      RunRecord best =
          fullRuns.stream()
              .filter(r -> r.getConfig().equals(s.getConfig()))
              .min(java.util.Comparator.comparing(RunRecord::getFinalEvalMetric))
              .orElseThrow();
      boolean stopped =
          decisions.stream()
              .anyMatch(d -> d.getRunId().equals(best.getRunId()) && !d.getContinues());
      FullSweepComparison compared = s.getEarlyStopping().getFullSweep();
      assertThat(compared.getBestRunId()).as(s.getConfig()).isEqualTo(best.getRunId());
      assertThat(compared.getBestSurvived()).as(s.getConfig()).isEqualTo(!stopped);
    }
    assertThat(folder.resolve("report/report.html")).content().contains("full sweep's best seed");
  }
}
