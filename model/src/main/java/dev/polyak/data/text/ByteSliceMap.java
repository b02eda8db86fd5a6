package dev.polyak.data.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * An open-addressing hash map from byte strings to longs that looks keys up by slice, so scanning
 * text never allocates a String per token. Used to count tokens (vocabulary pass) and to map tokens
 * to ids (shard pass).
 *
 * <p>Each slot is four adjacent longs: the key's first eight bytes, its hash and length, its value,
 * and where the rest of a longer key sits in one shared byte pool. A lookup of a key of at most
 * eight bytes (most words) thus reads one cache line and never follows a pointer; the map holds no
 * object per key.
 */
public final class ByteSliceMap {
  private static final int STRIDE = 4;
  private static final int HEAD = 0;
  private static final int META = 1;
  private static final int VALUE = 2;
  private static final int TAIL = 3;

  /** Per slot: head bytes, {@code hash << 32 | length + 1} (0 when empty), value, tail offset. */
  private long[] table;

  private byte[] pool = new byte[64];
  private int poolSize;
  private int size;
  private int mask;

  public ByteSliceMap(int expectedSize) {
    int capacity = Integer.highestOneBit(Math.max(16, expectedSize * 2 - 1)) << 1;
    allocate(capacity);
  }

  public int size() {
    return size;
  }

  /** The value of the slice, or {@code absent} when it is not a key. */
  public long get(byte[] bytes, int start, int end, long absent) {
    int length = end - start;
    long head = LittleEndian.word(bytes, start, Math.min(length, 8));
    int hash = hash(head, bytes, start, length);
    long meta = meta(hash, length);
    for (int i = (hash & mask) * STRIDE; ; i = (i + STRIDE) & (table.length - 1)) {
      long m = table[i + META];
      if (m == 0) {
        return absent;
      }
      if (m == meta && table[i + HEAD] == head && tailEquals(i, bytes, start, length)) {
        return table[i + VALUE];
      }
    }
  }

  /** Adds {@code delta} to the value of the slice (a new key starts at 0). */
  public void add(byte[] bytes, int start, int end, long delta) {
    int length = end - start;
    long head = LittleEndian.word(bytes, start, Math.min(length, 8));
    int hash = hash(head, bytes, start, length);
    long meta = meta(hash, length);
    int i = (hash & mask) * STRIDE;
    for (long m; (m = table[i + META]) != 0; i = (i + STRIDE) & (table.length - 1)) {
      if (m == meta && table[i + HEAD] == head && tailEquals(i, bytes, start, length)) {
        table[i + VALUE] += delta;
        return;
      }
    }
    table[i + HEAD] = head;
    table[i + META] = meta;
    table[i + VALUE] = delta;
    if (length > 8) {
      int tail = length - 8;
      if (poolSize + tail > pool.length) {
        pool = Arrays.copyOf(pool, Math.max(pool.length * 2, poolSize + tail));
      }
      System.arraycopy(bytes, start + 8, pool, poolSize, tail);
      table[i + TAIL] = poolSize;
      poolSize += tail;
    }
    if (++size * 2 > mask + 1) {
      grow();
    }
  }

  public void put(String key, long value) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    long old = get(bytes, 0, bytes.length, Long.MIN_VALUE);
    add(bytes, 0, bytes.length, old == Long.MIN_VALUE ? value : value - old);
  }

  /** Visits every entry with its key decoded from UTF-8. */
  public void forEach(ObjLongConsumer<String> consumer) {
    byte[] key = new byte[16];
    for (int i = 0; i < table.length; i += STRIDE) {
      long meta = table[i + META];
      if (meta == 0) {
        continue;
      }
      int length = (int) meta - 1;
      if (key.length < Math.max(8, length)) {
        key = new byte[length];
      }
      LittleEndian.put(key, 0, table[i + HEAD]);
      if (length > 8) {
        System.arraycopy(pool, (int) table[i + TAIL], key, 8, length - 8);
      }
      consumer.accept(new String(key, 0, length, StandardCharsets.UTF_8), table[i + VALUE]);
    }
  }

  private boolean tailEquals(int i, byte[] bytes, int start, int length) {
    if (length <= 8) {
      return true;
    }
    int tail = (int) table[i + TAIL];
    return Arrays.equals(pool, tail, tail + length - 8, bytes, start + 8, start + length);
  }

  private void grow() {
    long[] old = table;
    allocate((mask + 1) * 2);
    for (int from = 0; from < old.length; from += STRIDE) {
      long meta = old[from + META];
      if (meta != 0) {
        int to = ((int) (meta >>> 32) & mask) * STRIDE;
        while (table[to + META] != 0) {
          to = (to + STRIDE) & (table.length - 1);
        }
        System.arraycopy(old, from, table, to, STRIDE);
      }
    }
  }

  private void allocate(int capacity) {
    table = new long[capacity * STRIDE];
    mask = capacity - 1;
  }

  private static long meta(int hash, int length) {
    return (long) hash << 32 | (length + 1L);
  }

  private static int hash(long head, byte[] bytes, int start, int length) {
    long h = head * 0x9E3779B97F4A7C15L + length;
    for (int k = 8; k < length; k += 8) {
      h =
          (Long.rotateLeft(h, 29) ^ LittleEndian.word(bytes, start + k, Math.min(8, length - k)))
              * 0x9E3779B97F4A7C15L;
    }
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    return (int) (h ^ h >>> 33);
  }
}
