package dev.polyak.report;

import dev.polyak.io.AtomicFiles;
import dev.polyak.schemas.DiagnosticKind;
import dev.polyak.schemas.DiagnosticRecord;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * The per-structure condition-number heat map (the paper's Figure 1(d)): one row per layer, one
 * column per structure index, colour = log10 κ on the viridis scale between the smallest and the
 * largest finite κ of the picture (dark purple = best conditioned, yellow = worst). Singular
 * structures (κ = +∞, e.g. pruned ones or ReLU units no probe activates) are black; a position with
 * no structure stays white. A colour bar with log10 κ ticks and a black "singular" swatch sits on
 * the right. Drawn with java.awt in headless mode.
 */
public final class KappaHeatMap {
  /** Colour of a singular structure's cell. */
  public static final Color SINGULAR = Color.BLACK;

  static final int LEFT = 70;

  /** Room above the grid: the title's own line, then the colour bar's label. */
  static final int TOP = 52;

  /** The title's baseline and left edge: above the colour bar's label, clear of it. */
  private static final int TITLE_BASELINE = 16;

  private static final int TITLE_LEFT = 8;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
  static final int RIGHT = 160;
  static final int BOTTOM = 48;
  private static final int MAX_CELL = 28;
  private static final int MAX_WIDTH = 1200;
  private static final int MAX_HEIGHT = 700;
  private static final int[][] VIRIDIS = {
    {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}
  };

  private final List<DiagnosticRecord> cells;
  private final List<Integer> layers;
  private final int columns;
  private final int cellWidth;
  private final int cellHeight;
  private final double low;
  private final double high;

  private KappaHeatMap(List<DiagnosticRecord> records, double[] log10Range) {
    this.cells = structureRows(records);
    if (cells.isEmpty()) {
      throw new IllegalArgumentException("no structure rows to draw");
    }
    this.layers =
        List.copyOf(new TreeSet<>(cells.stream().map(DiagnosticRecord::getLayer).toList()));
    this.columns = cells.stream().mapToInt(DiagnosticRecord::getIndex).max().orElse(0) + 1;
    this.cellWidth = Math.max(2, Math.min(MAX_CELL, MAX_WIDTH / columns));
    this.cellHeight = Math.max(4, Math.min(MAX_CELL, MAX_HEIGHT / layers.size()));
    double[] range = log10Range != null ? log10Range : log10Range(List.of(cells));
    this.low = range[0];
    this.high = range[1];
  }

  /** The heat map of the structure rows of {@code records} (the MODEL row, if any, is left out). */
  public static KappaHeatMap of(List<DiagnosticRecord> records) {
    return new KappaHeatMap(records, null);
  }

  /**
   * As {@link #of(List)}, with the colour scale spanning log10 κ from {@code low} to {@code high}
   * instead of the picture's own extremes: pictures to be compared (before and after pruning) share
   * one scale, see {@link #log10Range}.
   */
  public static KappaHeatMap of(List<DiagnosticRecord> records, double low, double high) {
    return new KappaHeatMap(records, new double[] {low, high});
  }

  /**
   * The smallest and largest finite log10 κ over the structure rows of all {@code pictures} ({+∞,
   * −∞} when none is finite).
   */
  public static double[] log10Range(List<List<DiagnosticRecord>> pictures) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (List<DiagnosticRecord> rows : pictures) {
      for (DiagnosticRecord r : structureRows(rows)) {
        if (!r.getSingular()) {
          min = Math.min(min, Math.log10(r.getConditionNumber()));
          max = Math.max(max, Math.log10(r.getConditionNumber()));
        }
      }
    }
    return new double[] {min, max};
  }

  private static List<DiagnosticRecord> structureRows(List<DiagnosticRecord> records) {
    return records.stream().filter(r -> r.getKind() != DiagnosticKind.MODEL).toList();
  }

  /** The viridis colour at {@code t} in [0, 1] (clamped); its luminance increases with t. */
  public static Color scale(double t) {
    double x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    int i = Math.min(VIRIDIS.length - 2, (int) Math.floor(x));
    double f = x - i;
    int[] rgb = new int[3];
    for (int c = 0; c < 3; c++) {
      rgb[c] = (int) Math.round(VIRIDIS[i][c] + f * (VIRIDIS[i + 1][c] - VIRIDIS[i][c]));
    }
    return new Color(rgb[0], rgb[1], rgb[2]);
  }

  /**
   * The colour of a cell: black when singular, else log10 κ's place between the picture's extremes.
   */
  public Color colour(DiagnosticRecord row) {
    if (row.getSingular()) {
      return SINGULAR;
    }
    return scale(high > low ? (Math.log10(row.getConditionNumber()) - low) / (high - low) : 0.5);
  }

  /** The pixel at the centre of the cell of {@code layer} and structure {@code index}. */
  public Point cellCentre(int layer, int index) {
    int row = layers.indexOf(layer);
    if (row < 0) {
      throw new IllegalArgumentException("no layer " + layer + " in the picture");
    }
    return new Point(
        LEFT + index * cellWidth + cellWidth / 2, TOP + row * cellHeight + cellHeight / 2);
  }

  public int width() {
    return LEFT + columns * cellWidth + RIGHT;
  }

  public int height() {
    return TOP + Math.max(layers.size() * cellHeight, 120) + BOTTOM;
  }

  /**
   * Draws the picture with {@code title} on its own line above it; the picture is widened (white on
   * the right) where the title is wider than {@link #width()}.
   */
  public BufferedImage render(String title) {
    System.setProperty("java.awt.headless", "true");
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D measure = scratch.createGraphics();
    int titleWidth = measure.getFontMetrics(FONT).stringWidth(title);
    measure.dispose();
    BufferedImage image =
        new BufferedImage(
            Math.max(width(), TITLE_LEFT + titleWidth + TITLE_LEFT),
            height(),
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(FONT);
      for (DiagnosticRecord r : cells) {
        Point centre = cellCentre(r.getLayer(), r.getIndex());
        g.setColor(colour(r));
        g.fillRect(centre.x - cellWidth / 2, centre.y - cellHeight / 2, cellWidth, cellHeight);
      }
      drawAxes(g, title);
      drawColourBar(g);
    } finally {
      g.dispose();
    }
    return image;
  }

  /** Writes {@link #render} as a PNG, atomically (temporary file, then rename). */
  public void writePng(Path file, String title) {
    AtomicFiles.writeBytes(file, png(title));
  }

  /** {@link #render} as PNG bytes. */
  public byte[] png(String title) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(render(title), "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the heat map '" + title + "' as PNG", e);
    }
    return bytes.toByteArray();
  }

  private void drawAxes(Graphics2D g, String title) {
    g.setColor(Color.DARK_GRAY);
    g.drawString(title, TITLE_LEFT, TITLE_BASELINE);
    int gridBottom = TOP + layers.size() * cellHeight;
    g.drawRect(LEFT - 1, TOP - 1, columns * cellWidth + 1, layers.size() * cellHeight + 1);
    for (int row = 0; row < layers.size(); row++) {
      int y = TOP + row * cellHeight + cellHeight / 2 + 4;
      if (cellHeight >= 10 || row % Math.max(1, 12 / cellHeight) == 0) {
        g.drawString(Integer.toString(layers.get(row)), LEFT - 20, y);
      }
    }
    int every = Math.max(1, (int) Math.ceil(24.0 / cellWidth));
    for (int index = 0; index < columns; index += every) {
      g.drawString(
          Integer.toString(index), LEFT + index * cellWidth + cellWidth / 2 - 3, gridBottom + 14);
    }
    g.drawString("structure index", LEFT + columns * cellWidth / 2 - 40, gridBottom + 34);
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.rotate(-Math.PI / 2);
    rotated.drawString("layer", -(TOP + layers.size() * cellHeight / 2 + 12), 24);
    rotated.dispose();
  }

  private void drawColourBar(Graphics2D g) {
    int x = LEFT + columns * cellWidth + 24;
    int barHeight = Math.max(layers.size() * cellHeight, 120) - 30;
    for (int y = 0; y < barHeight; y++) {
      g.setColor(scale(1 - (double) y / (barHeight - 1)));
      g.fillRect(x, TOP + y, 16, 1);
    }
    g.setColor(Color.DARK_GRAY);
    g.setStroke(new BasicStroke(1));
    g.drawRect(x, TOP, 16, barHeight);
    g.drawString("log10 \u03ba", x - 4, TOP - 8);
    if (low <= high) {
      g.drawString(String.format(Locale.ROOT, "%.2f", high), x + 20, TOP + 8);
      g.drawString(String.format(Locale.ROOT, "%.2f", low), x + 20, TOP + barHeight);
    } else {
      g.drawString("(none finite)", x + 20, TOP + barHeight / 2);
    }
    g.setColor(SINGULAR);
    g.fillRect(x, TOP + barHeight + 12, 16, 12);
    g.setColor(Color.DARK_GRAY);
    g.drawString("singular (\u03ba = \u221e)", x + 20, TOP + barHeight + 22);
  }
}
