package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written validator against the JDK's strict decoder, on valid text and random bytes. */
class Utf8Test {
  private static boolean jdkAccepts(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Test
  void agreesWithTheJdkDecoder() {
    assertThat(
            Utf8.firstInvalid(
                "plain ascii Zürich 東京 \uD83D\uDE00".getBytes(StandardCharsets.UTF_8), 0, 23))
        .isEqualTo(-1);
    byte[][] invalid = {
      {(byte) 0xC0, (byte) 0x80},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0xE0, (byte) 0x9F, (byte) 0xBF},
      {(byte) 0xC3},
      {(byte) 0xFF},
      {(byte) 0x80}
    };
    for (byte[] b : invalid) {
      assertThat(Utf8.firstInvalid(b, 0, b.length)).isZero();
      assertThat(jdkAccepts(b)).isFalse();
    }
    SplittableRandom random = new SplittableRandom(9);
    for (int trial = 0; trial < 200_000; trial++) {
      byte[] b = new byte[1 + random.nextInt(6)];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) (random.nextBoolean() ? 0x80 + random.nextInt(0x80) : random.nextInt(256));
      }
      assertThat(Utf8.firstInvalid(b, 0, b.length) < 0)
          .as("bytes %s", java.util.Arrays.toString(b))
          .isEqualTo(jdkAccepts(b));
    }
  }

  /** Where the JDK's strict decoder first stops, or -1 when it decodes everything. */
  private static int jdkFirstInvalid(byte[] bytes, int from, int to) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, from, to - from);
    CharBuffer out = CharBuffer.allocate(to - from);
    CoderResult result = decoder.decode(in, out, true);
    return result.isError() ? in.position() : -1;
  }

  @Test
  void findsTheFirstInvalidByteInLongMostlyAsciiText() {
    // Long runs of ASCII (the eight-bytes-at-a-time path) with multi-byte characters and errors
    // at every alignment, in slices that start and end anywhere.
    SplittableRandom random = new SplittableRandom(17);
    byte[][] pieces = {
      "the quick brown fox ".getBytes(StandardCharsets.UTF_8),
      "Zürich".getBytes(StandardCharsets.UTF_8),
      "東京".getBytes(StandardCharsets.UTF_8),
      "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8),
      {(byte) 0xC3},
      {(byte) 0x80},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
    };
    for (int trial = 0; trial < 20_000; trial++) {
      java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
      int parts = 1 + random.nextInt(12);
      for (int p = 0; p < parts; p++) {
        int which = random.nextInt(10) < 7 ? 0 : 1 + random.nextInt(pieces.length - 1);
        byte[] piece = pieces[which];
        text.write(piece, 0, which == 0 ? 1 + random.nextInt(piece.length) : piece.length);
      }
      byte[] b = text.toByteArray();
      int from = random.nextInt(Math.min(b.length, 9));
      int to = b.length - random.nextInt(Math.min(b.length - from, 9) + 1);
      int expected = jdkFirstInvalid(b, from, to);
      assertThat(Utf8.firstInvalid(b, from, to))
          .as("bytes %s [%d, %d)", java.util.Arrays.toString(b), from, to)
          .isEqualTo(expected);
    }
  }
}
