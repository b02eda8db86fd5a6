package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenScannerTest {
  private static List<String> scan(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    TokenScanner.scan(
        bytes,
        0,
        bytes.length,
        new TokenScanner.Visitor() {
          @Override
          public boolean token(byte[] b, int start, int end) {
            out.add(new String(b, start, end - start, StandardCharsets.UTF_8));
            return true;
          }

          @Override
          public boolean endOfLine() {
            out.add("<eol>");
            return true;
          }
        });
    return out;
  }

  @Test
  void wikitextLinesGiveTheirWordsAndOneLineEnd() {
    assertThat(scan(" = Valkyria = \n \n The game 's story .\n"))
        .containsExactly(
            "=", "Valkyria", "=", "<eol>", "<eol>", "The", "game", "'s", "story", ".", "<eol>");
  }

  @Test
  void splitsOnEveryAsciiWhitespaceButNotInsideMultiByteCharacters() {
    assertThat(scan("a\tb\rc\u000bd\fe  Zürich 東京\n"))
        .containsExactly("a", "b", "c", "d", "e", "Zürich", "東京", "<eol>");
  }

  @Test
  void aLastLineWithoutNewlineIsStillALine() {
    assertThat(scan("x y\nz")).containsExactly("x", "y", "<eol>", "z", "<eol>");
    assertThat(scan("x\n")).containsExactly("x", "<eol>");
    assertThat(scan("")).isEmpty();
  }

  @Test
  void stopsWhenTheVisitorSaysSo() {
    byte[] bytes = "a b c\nd\n".getBytes(StandardCharsets.UTF_8);
    List<String> seen = new ArrayList<>();
    boolean finished =
        TokenScanner.scan(
            bytes,
            0,
            bytes.length,
            new TokenScanner.Visitor() {
              @Override
              public boolean token(byte[] b, int start, int end) {
                seen.add(new String(b, start, end - start, StandardCharsets.UTF_8));
                return seen.size() < 2;
              }

              @Override
              public boolean endOfLine() {
                return true;
              }
            });
    assertThat(finished).isFalse();
    assertThat(seen).containsExactly("a", "b");
  }
}
