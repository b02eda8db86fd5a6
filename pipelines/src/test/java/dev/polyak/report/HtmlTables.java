package dev.polyak.report;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.swing.text.MutableAttributeSet;
import javax.swing.text.html.HTML;
import javax.swing.text.html.HTMLEditorKit;
import javax.swing.text.html.parser.ParserDelegator;

/**
 * The text of the cells of an HTML table, read by the JDK's own HTML parser (not by matching the
 * markup the page writer emits), and the ids and headings of the page.
 */
final class HtmlTables {
  private HtmlTables() {}

  /** The body rows of the first {@code <table class="tableClass">}, each a list of cell texts. */
  static List<List<String>> rows(String html, String tableClass) {
    List<List<String>> rows = new ArrayList<>();
    parse(
        html,
        new HTMLEditorKit.ParserCallback() {
          private int depth = -1; // table nesting inside the chosen table; -1 outside it
          private boolean done;
          private boolean header;
          private List<String> row;
          private StringBuilder cell;

          @Override
          public void handleStartTag(HTML.Tag tag, MutableAttributeSet a, int pos) {
            if (tag == HTML.Tag.TABLE) {
              if (depth >= 0) {
                depth++;
              } else if (!done && tableClass.equals(a.getAttribute(HTML.Attribute.CLASS))) {
                depth = 0;
              }
            } else if (depth == 0 && tag == HTML.Tag.TR) {
              row = new ArrayList<>();
              header = false;
            } else if (depth == 0 && (tag == HTML.Tag.TD || tag == HTML.Tag.TH)) {
              header |= tag == HTML.Tag.TH;
              cell = new StringBuilder();
            }
          }

          @Override
          public void handleSimpleTag(HTML.Tag tag, MutableAttributeSet a, int pos) {
            if (cell != null && tag == HTML.Tag.BR) {
              cell.append('\n');
            }
          }

          @Override
          public void handleText(char[] data, int pos) {
            if (cell != null) {
              cell.append(data);
            }
          }

          @Override
          public void handleEndTag(HTML.Tag tag, int pos) {
            if (tag == HTML.Tag.TABLE && depth >= 0) {
              depth--;
              done |= depth < 0;
            } else if (depth == 0 && (tag == HTML.Tag.TD || tag == HTML.Tag.TH) && cell != null) {
              row.add(cell.toString().trim());
              cell = null;
            } else if (depth == 0 && tag == HTML.Tag.TR && row != null) {
              if (!header) {
                rows.add(List.copyOf(row));
              }
              row = null;
            }
          }
        });
    return rows;
  }

  /** The text of every {@code <h2>}, in page order. */
  static List<String> headings(String html) {
    List<String> headings = new ArrayList<>();
    parse(
        html,
        new HTMLEditorKit.ParserCallback() {
          private StringBuilder heading;

          @Override
          public void handleStartTag(HTML.Tag tag, MutableAttributeSet a, int pos) {
            if (tag == HTML.Tag.H2) {
              heading = new StringBuilder();
            }
          }

          @Override
          public void handleText(char[] data, int pos) {
            if (heading != null) {
              heading.append(data);
            }
          }

          @Override
          public void handleEndTag(HTML.Tag tag, int pos) {
            if (tag == HTML.Tag.H2 && heading != null) {
              headings.add(heading.toString().trim());
              heading = null;
            }
          }
        });
    return headings;
  }

  private static void parse(String html, HTMLEditorKit.ParserCallback callback) {
    try {
      new ParserDelegator().parse(new StringReader(html), callback, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
