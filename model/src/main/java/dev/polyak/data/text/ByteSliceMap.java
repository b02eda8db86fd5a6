package dev.polyak.data.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * An open-addressing hash map from byte strings to longs that looks keys up by slice, so scanning
 * text never allocates a String per token. Used to count tokens (vocabulary pass) and to map tokens
 * to ids (shard pass).
 */
public final class ByteSliceMap {
  private byte[][] keys;
  private long[] values;
  private int[] hashes;
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
    int hash = hash(bytes, start, end);
    for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
      byte[] key = keys[slot];
      if (key == null) {
        return absent;
      }
      if (hashes[slot] == hash && equals(key, bytes, start, end)) {
        return values[slot];
      }
    }
  }

  /** Adds {@code delta} to the value of the slice (a new key starts at 0). */
  public void add(byte[] bytes, int start, int end, long delta) {
    int hash = hash(bytes, start, end);
    int slot = hash & mask;
    for (; keys[slot] != null; slot = (slot + 1) & mask) {
      if (hashes[slot] == hash && equals(keys[slot], bytes, start, end)) {
        values[slot] += delta;
        return;
      }
    }
    keys[slot] = Arrays.copyOfRange(bytes, start, end);
    hashes[slot] = hash;
    values[slot] = delta;
    if (++size * 2 > keys.length) {
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
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        consumer.accept(new String(keys[i], StandardCharsets.UTF_8), values[i]);
      }
    }
  }

  private void grow() {
    byte[][] oldKeys = keys;
    long[] oldValues = values;
    int[] oldHashes = hashes;
    allocate(oldKeys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        int slot = oldHashes[i] & mask;
        while (keys[slot] != null) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = oldKeys[i];
        hashes[slot] = oldHashes[i];
        values[slot] = oldValues[i];
      }
    }
  }

  private void allocate(int capacity) {
    keys = new byte[capacity][];
    values = new long[capacity];
    hashes = new int[capacity];
    mask = capacity - 1;
  }

  private static int hash(byte[] bytes, int start, int end) {
    int h = 0x9E3779B9;
    for (int i = start; i < end; i++) {
      h = 31 * h + bytes[i];
    }
    return h ^ (h >>> 16);
  }

  private static boolean equals(byte[] key, byte[] bytes, int start, int end) {
    int length = key.length;
    if (length != end - start) {
      return false;
    }
    // Tokens are short: a plain loop beats Arrays.equals' range checks and mismatch stub call.
    for (int i = 0; i < length; i++) {
      if (key[i] != bytes[start + i]) {
        return false;
      }
    }
    return true;
  }
}
