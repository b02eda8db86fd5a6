package dev.polyak.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.schemas.SummaryRecord;
import dev.polyak.summary.ReportFiles;
import dev.polyak.summary.SweepFixture;
import dev.polyak.summary.SweepSummary;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html: one self-contained page with its tables and charts, sections that say what is
 * missing, same bytes twice.
 */
class HtmlReportTest {
  private static final Pattern DATA_IMAGE =
      Pattern.compile("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  @TempDir Path dir;

  private static List<byte[]> images(String html) {
    List<byte[]> images = new ArrayList<>();
    Matcher m = DATA_IMAGE.matcher(html);
    while (m.find()) {
      images.add(Base64.getDecoder().decode(m.group(1)));
    }
    return images;
  }

  /** The page without its data URIs: what a browser could fetch from elsewhere is in here. */
  private static String withoutData(String html) {
    return DATA_IMAGE.matcher(html).replaceAll("<img");
  }

  /** Body rows of every table of {@code tableClass}. */
  private static int rows(String html, String tableClass) {
    int rows = 0;
    for (int start = html.indexOf("<table class=\"" + tableClass + "\">");
        start >= 0;
        start = html.indexOf("<table class=\"" + tableClass + "\">", start + 1)) {
      String table = html.substring(start, html.indexOf("</table>", start));
      rows +=
          table.split("<tr", -1).length
              - 2; // minus the text before the first <tr and the header row
    }
    return rows;
  }

  @Test
  void oneSelfContainedPageWithTablesAndCharts() throws Exception {
    Path report = SweepFixture.standard().write(dir);
    SweepSummary.write(report);

    Path html = HtmlReport.write(report);

    assertThat(html).isEqualTo(report.resolve("report.html")).isRegularFile();
    String page = Files.readString(html);
    String rest = withoutData(page);
    assertThat(rest)
        .doesNotContainIgnoringCase("http")
        .doesNotContain("src=\"")
        .doesNotContainIgnoringCase("<script")
        .doesNotContainIgnoringCase("<link")
        .doesNotContainIgnoringCase("url(")
        .doesNotContainIgnoringCase("@import");
    // (a) 1 model + (b) 1 baseline + (e) 1 model + (d) κ and PL ratio of 3 configs + (c) 2 pruned
    // configs x
    // before/after
    List<byte[]> images = images(page);
    assertThat(images).hasSize(13);
    for (byte[] png : images) {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      assertThat(image.getWidth()).isGreaterThan(100);
      assertThat(image.getHeight()).isGreaterThan(100);
    }
    assertThat(rows(page, "summary")).isEqualTo(3);
    // labels without the model, the config in full as a tooltip; mean +- std to the std's second
    // digit
    assertThat(page)
        .contains(
            "<td class=\"config\" title=\"model=mlp method=pl-gate ratio=0.5\">"
                + "method=pl-gate ratio=0.5</td>")
        .contains("107 \u00b1 11")
        .contains("[80, 134]")
        .contains("\u22123.0<br><span class=\"unit\">p = 0.19</span>")
        .contains("<b>p = 0.027</b>");
    assertThat(rows(page, "problems")).isEqualTo(2);
    assertThat(page).contains("diverged at 30").contains("java.lang.IllegalStateException: boom");
    assertThat(page).doesNotContain("class=\"missing\"");
    // the fixture's rows carry no kernel: they read as the loss kernel, and the charts say so
    assertThat(page)
        .contains("diagnosed without the whole-model kernel are left out. Kernel: loss (")
        .contains("(pruned structures among them). Kernel: loss (");
    assertThat(page)
        .contains("Proposition 14 of the paper says pruning raises \u03bb<sub>min</sub>(K)")
        .contains("pntk is the pseudo-NTK of the model function");
    assertThat(page)
        .contains(
            "convergence_factor Theorem 6(a)'s 1 \u2212 \u00b5/\u03b2, null with"
                + " convergence_factor_flag unless 0 &lt; \u00b5 \u2264 \u03b2");
  }

  @Test
  void intervalsOverTwoSeedsAreCutAtTheMetricsRangeAndSaidToMeanLittle() {
    // two seeds of perplexity 40 and 80: mean 60, std 20 sqrt 2, 95 % interval 60 -+ 12.706 * 20,
    // far below 1
    double half = 12.706204736 * 20;
    SummaryRecord pruned =
        SummaryRecord.newBuilder()
            .setConfig("model=m method=random ratio=0.5")
            .setBaseline("model=m")
            .setModel("m")
            .setMethod("random")
            .setRatio(0.5)
            .setMetricName("perplexity")
            .setRuns(2)
            .setFinished(2)
            .setDiverged(0)
            .setFailed(0)
            .setFinalEvalMetric(dev.polyak.summary.SeedStatistics.of(new double[] {40, 80}))
            .setReachedDense(0)
            .setMatchedDense(0)
            .setPruningShare(0)
            .build();
    assertThat(pruned.getFinalEvalMetric().getCi95Low()).isCloseTo(60 - half, within(1e-6));

    assertThat(ReportCharts.tradeOffNote("perplexity", List.of(pruned)))
        .isEqualTo(
            "With n = 2 seeds a 95 % interval is mean \u00b1 12.7 std / \u221a2 (Student's t with"
                + " 1 degree of freedom): too wide to mean much; run more seeds. Intervals that"
                + " leave the metric's range (perplexity \u2265 1) are cut at its edge.");
    assertThat(ReportCharts.tradeOff("model=m", "perplexity", List.of(pruned))).isPresent();
    assertThat(ReportCharts.domain("accuracy")).containsExactly(0, 1);
  }

  @Test
  void missingDiagnosticsAndPruneEventsAreSaidNotDrawn() throws Exception {
    Path report = SweepFixture.standard().write(dir, false, false);

    String page = Files.readString(HtmlReport.write(report));

    assertThat(images(page)).hasSize(3); // curves, trade-off, seed spread
    assertThat(page)
        .contains("No diagnostics.avro in the report folder")
        .contains("No prune_events.avro in the report folder")
        .doesNotContain("lipschitz_value");
    assertThat(rows(page, "summary")).isEqualTo(3); // computed without summary.avro
  }

  @Test
  void checkpointsDiagnosedWithoutTheWholeModelKernelHaveAPlRatioButNoKappa() throws Exception {
    SweepFixture fixture = SweepFixture.standard();
    Path report = fixture.write(dir);
    List<DiagnosticRecord> rows = new ArrayList<>();
    for (DiagnosticRecord r : fixture.diagnostics()) {
      if (r.getKind() == DiagnosticKind.MODEL) {
        // as DiagnosticRecords writes a MODEL row without the whole-model kernel
        r =
            DiagnosticRecord.newBuilder(r)
                .setLambdaMin(Double.NaN)
                .setLambdaMax(Double.NaN)
                .setConditionNumber(Double.NaN)
                .setEntropy(Double.NaN)
                .setSingular(false)
                .build();
      }
      rows.add(r);
    }
    AvroFiles.write(report.resolve(ReportFiles.DIAGNOSTICS), DiagnosticRecord.class, rows);

    String page = Files.readString(HtmlReport.write(report));

    assertThat(images(page))
        .hasSize(13 - 3); // no κ chart for the 3 configs; their PL-ratio charts stay
    assertThat(page)
        .contains("No whole-model rows with a finite \u03ba for: ")
        .doesNotContain("No whole-model rows with a finite PL ratio");
  }

  @Test
  void theSameFilesGiveTheSameBytes() throws Exception {
    Path report = SweepFixture.standard().write(dir);
    byte[] first = Files.readAllBytes(HtmlReport.write(report));
    byte[] second = Files.readAllBytes(HtmlReport.write(report));

    assertThat(second).isEqualTo(first);
  }

  @Test
  void aLargerSweepDrawsOneChartPerModelBaselineAndConfig() throws Exception {
    SyntheticSweep sweep = SyntheticSweep.of(2, 3, 3, 40);
    Path report = sweep.write(dir);
    SweepSummary.write(report);

    String page = Files.readString(HtmlReport.write(report));

    int configs = sweep.configs();
    int pruned = configs - 2;
    // (a) per model, (b) per baseline (= model here), (e) per model, (d) 2 per config, (c) 2 per
    // pruned config
    assertThat(images(page)).hasSize(2 + 2 + 2 + 2 * configs + 2 * pruned);
    assertThat(rows(page, "summary")).isEqualTo(configs);
    assertThat(rows(page, "problems")).isEqualTo(sweep.diverged());
  }

  @Test
  void labelsDropTheWordsAllConfigsOfAModelShare() {
    assertThat(
            HtmlReport.shortLabels(
                List.of("model=a method=dense", "model=a method=random ratio=0.5")))
        .containsEntry("model=a method=dense", "method=dense")
        .containsEntry("model=a method=random ratio=0.5", "method=random ratio=0.5");
    assertThat(HtmlReport.shortLabels(List.of("model=a method=dense")))
        .containsEntry("model=a method=dense", "model=a method=dense");
    assertThat(HtmlReport.format(0.18849732879931097)).isEqualTo("0.1885");
    assertThat(HtmlReport.format(110)).isEqualTo("110");
    assertThat(HtmlReport.format(1.84e-7)).isEqualTo("1.840e-07");
    assertThat(HtmlReport.meanStd(0.8938, 0.003343)).isEqualTo("0.8938 \u00b1 0.0033");
    assertThat(HtmlReport.meanStd(1983.3, 28.87)).isEqualTo("1983 \u00b1 29");
    assertThat(HtmlReport.meanStd(1950, 0)).isEqualTo("1950 \u00b1 0");
    assertThat(HtmlReport.significant(0.0026671, 2)).isEqualTo("0.0027");
    assertThat(HtmlReport.escape("<a href=\"x\">&'"))
        .isEqualTo("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  }
}
