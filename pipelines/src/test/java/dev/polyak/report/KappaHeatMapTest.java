package dev.polyak.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import java.awt.Color;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The κ heat map: its layout, cell colours ordered by κ, singular cells black, the PNG file. */
class KappaHeatMapTest {
  @TempDir Path dir;

  private static DiagnosticRecord cell(int layer, int index, double kappa) {
    boolean singular = Double.isInfinite(kappa);
    return DiagnosticRecord.newBuilder()
        .setRunId("r")
        .setStep(1)
        .setStructureId("layer" + layer + "/head" + index)
        .setLayer(layer)
        .setIndex(index)
        .setKind(DiagnosticKind.HEAD)
        .setKept(true)
        .setParameters(10)
        .setLambdaMin(singular ? 0 : 1)
        .setLambdaMax(singular ? 1 : kappa)
        .setConditionNumber(kappa)
        .setEntropy(0.5)
        .setSingular(singular)
        .setEigenvalueFloor(1e-12)
        .setProbeSamples(8)
        .setSeed(1)
        .setScalarOutput("loss")
        .build();
  }

  private static double luminance(int rgb) {
    Color c = new Color(rgb);
    return 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
  }

  // layer 0: κ = 10, 1e3, +∞; layer 2: κ = 1e5 at index 1 only (indices 0 and 2 empty)
  private static final List<DiagnosticRecord> ROWS =
      List.of(
          cell(0, 0, 10), cell(0, 1, 1e3), cell(0, 2, Double.POSITIVE_INFINITY), cell(2, 1, 1e5));

  @Test
  void oneRowPerLayerOneColumnPerIndexWithColoursOrderedByKappaAndSingularBlack() throws Exception {
    KappaHeatMap map = KappaHeatMap.of(ROWS);
    Path png = dir.resolve("kappa.png");
    map.writePng(png, "test");
    BufferedImage image = ImageIO.read(png.toFile());

    assertThat(image.getWidth()).isEqualTo(KappaHeatMap.LEFT + 3 * 28 + KappaHeatMap.RIGHT);
    assertThat(image.getHeight()).isEqualTo(KappaHeatMap.TOP + 120 + KappaHeatMap.BOTTOM);
    int[] centres = {
      pixel(image, map.cellCentre(0, 0)),
      pixel(image, map.cellCentre(0, 1)),
      pixel(image, map.cellCentre(2, 1))
    };
    // log10 κ = 1, 3, 5: the scale's ends and its middle
    assertThat(new Color(centres[0])).isEqualTo(KappaHeatMap.scale(0));
    assertThat(new Color(centres[1])).isEqualTo(KappaHeatMap.scale(0.5));
    assertThat(new Color(centres[2])).isEqualTo(KappaHeatMap.scale(1));
    assertThat(luminance(centres[0])).isLessThan(luminance(centres[1]));
    assertThat(luminance(centres[1])).isLessThan(luminance(centres[2]));
    assertThat(new Color(pixel(image, map.cellCentre(0, 2)))).isEqualTo(Color.BLACK);
    assertThat(luminance(pixel(image, map.cellCentre(0, 0)))).isGreaterThan(20);
    assertThat(new Color(pixel(image, map.cellCentre(2, 0)))).isEqualTo(Color.WHITE);
  }

  @Test
  void picturesToCompareShareOneScale() throws Exception {
    List<DiagnosticRecord> before = List.of(cell(0, 0, 10), cell(0, 1, 1e3));
    List<DiagnosticRecord> after = List.of(cell(0, 0, 1e5), cell(0, 1, Double.POSITIVE_INFINITY));

    double[] range = KappaHeatMap.log10Range(List.of(before, after));
    assertThat(range).containsExactly(1.0, 5.0);
    KappaHeatMap map = KappaHeatMap.of(before, range[0], range[1]);
    // log10 κ = 1 and 3 sit at 0 and 0.5 of the shared scale, not at its own ends
    assertThat(map.colour(before.get(0))).isEqualTo(KappaHeatMap.scale(0));
    assertThat(map.colour(before.get(1))).isEqualTo(KappaHeatMap.scale(0.5));
    BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(map.png("before")));
    assertThat(image.getWidth()).isEqualTo(map.width());
    assertThat(new Color(pixel(image, map.cellCentre(0, 1)))).isEqualTo(KappaHeatMap.scale(0.5));
  }

  @Test
  void theTitleHasALineOfItsOwnClearOfTheColourBarLabelAndIsNeverCut() {
    KappaHeatMap map = KappaHeatMap.of(List.of(cell(0, 0, 10), cell(0, 1, 1e3)));
    String title =
        "log10 \u03ba (pntk) model=bert-tiny method=pl-gate ratio=0.5 before: step 100 of run"
            + " 0123456789abcdef";

    BufferedImage bare = map.render("");
    BufferedImage titled = map.render(title);

    // the title is wider than the picture, which widens to hold it, white beyond the picture
    assertThat(titled.getWidth()).isGreaterThan(map.width());
    assertThat(bare.getWidth()).isEqualTo(map.width());
    int lowestTitlePixel = -1;
    int rightmostTitlePixel = -1;
    for (int y = 0; y < titled.getHeight(); y++) {
      for (int x = 0; x < titled.getWidth(); x++) {
        int without = x < bare.getWidth() ? bare.getRGB(x, y) : Color.WHITE.getRGB();
        if (titled.getRGB(x, y) != without) {
          lowestTitlePixel = Math.max(lowestTitlePixel, y);
          rightmostTitlePixel = Math.max(rightmostTitlePixel, x);
        }
      }
    }
    // every pixel the title adds lies above the colour bar's label (baseline TOP - 8, 11 px font)
    assertThat(lowestTitlePixel).isBetween(5, KappaHeatMap.TOP - 8 - 12);
    assertThat(rightmostTitlePixel).isGreaterThan(map.width()).isLessThan(titled.getWidth());
  }

  @Test
  void theScaleGetsBrighterAllTheWay() {
    for (int i = 1; i <= 100; i++) {
      assertThat(luminance(KappaHeatMap.scale(i / 100.0).getRGB()))
          .isGreaterThanOrEqualTo(luminance(KappaHeatMap.scale((i - 1) / 100.0).getRGB()));
    }
  }

  private static int pixel(BufferedImage image, Point p) {
    return image.getRGB(p.x, p.y) & 0xFFFFFF;
  }
}
