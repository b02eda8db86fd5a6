package dev.polyak.data.text;

/**
 * Splits UTF-8 text into lines and whitespace-separated tokens without decoding it: ASCII
 * whitespace bytes never occur inside a multi-byte UTF-8 sequence, so a token is a maximal run of
 * bytes other than space, tab, CR, form feed, vertical tab and newline. This is exactly Python's
 * {@code line.split()} on WikiText, whose only whitespace is ASCII. Every line ({@code \n}-ended,
 * or a non-empty last line without one) ends with one end-of-line token.
 */
public final class TokenScanner {
  /** Receives tokens in order; return false to stop the scan early. */
  public interface Visitor {
    boolean token(byte[] bytes, int start, int end);

    boolean endOfLine();
  }

  private static final boolean[] WHITESPACE = new boolean[256];

  static {
    for (char c : new char[] {' ', '\t', '\r', '\f', 0x0B}) {
      WHITESPACE[c] = true;
    }
  }

  private TokenScanner() {}

  /** Scans {@code bytes[from, to)}, which must start at a line start. Returns false if stopped. */
  public static boolean scan(byte[] bytes, int from, int to, Visitor visitor) {
    int tokenStart = -1;
    int lineStart = from;
    for (int i = from; i < to; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        if (tokenStart >= 0 && !visitor.token(bytes, tokenStart, i)) {
          return false;
        }
        tokenStart = -1;
        if (!visitor.endOfLine()) {
          return false;
        }
        lineStart = i + 1;
      } else if (WHITESPACE[b & 0xFF]) {
        if (tokenStart >= 0) {
          if (!visitor.token(bytes, tokenStart, i)) {
            return false;
          }
          tokenStart = -1;
        }
      } else if (tokenStart < 0) {
        tokenStart = i;
      }
    }
    if (tokenStart >= 0 && !visitor.token(bytes, tokenStart, to)) {
      return false;
    }
    if (lineStart < to) {
      return visitor.endOfLine();
    }
    return true;
  }
}
