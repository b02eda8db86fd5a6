package dev.polyak.data.text;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Eight bytes of a byte array as one little-endian long, for word-at-a-time text scanning. */
final class LittleEndian {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private LittleEndian() {}

  /** The {@code count <= 8} bytes at {@code start}, little-endian, zero above them. */
  static long word(byte[] bytes, int start, int count) {
    if (start + 8 <= bytes.length) {
      long w = (long) LONGS.get(bytes, start);
      return count == 8 ? w : w & ((1L << (count << 3)) - 1);
    }
    long w = 0;
    for (int k = 0; k < count; k++) {
      w |= (bytes[start + k] & 0xFFL) << (k << 3);
    }
    return w;
  }

  /** Writes {@code word} to the eight bytes at {@code start}. */
  static void put(byte[] bytes, int start, long word) {
    LONGS.set(bytes, start, word);
  }
}
