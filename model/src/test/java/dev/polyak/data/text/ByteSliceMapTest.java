package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteSliceMapTest {
  @Test
  void countsLikeAHashMapThroughManyResizes() {
    ByteSliceMap map = new ByteSliceMap(4);
    Map<String, Long> reference = new HashMap<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 200_000; i++) {
      String key = "w" + random.nextInt(20_000);
      byte[] padded = ("##" + key + "##").getBytes(StandardCharsets.UTF_8);
      map.add(padded, 2, padded.length - 2, 1);
      reference.merge(key, 1L, Long::sum);
    }
    Map<String, Long> seen = new HashMap<>();
    map.forEach(seen::put);
    assertThat(seen).isEqualTo(reference);
    assertThat(map.size()).isEqualTo(reference.size());
  }

  @Test
  void tellsApartKeysThatShareTheirFirstEightBytesOrLength() {
    String[] keys = {
      "",
      "a",
      "abcdefgh",
      "abcdefghi",
      "abcdefghj",
      "abcdefgh\u00e9",
      "abcdefghabcdefgh",
      "abcdefghabcdefgi",
      "abcdefghabcdefghX",
      "\u00e9t\u00e9",
      "x".repeat(300),
      "x".repeat(301)
    };
    ByteSliceMap map = new ByteSliceMap(2);
    for (int i = 0; i < keys.length; i++) {
      map.put(keys[i], i * 10L);
    }
    assertThat(map.size()).isEqualTo(keys.length);
    for (int i = 0; i < keys.length; i++) {
      byte[] key = keys[i].getBytes(StandardCharsets.UTF_8);
      // At the very end of an array (no eight bytes to read past the key) and in the middle of one.
      assertThat(map.get(key, 0, key.length, -1)).as(keys[i]).isEqualTo(i * 10L);
      byte[] padded = ("yy" + keys[i] + "zzzzzzzzzz").getBytes(StandardCharsets.UTF_8);
      assertThat(map.get(padded, 2, 2 + key.length, -1)).as(keys[i]).isEqualTo(i * 10L);
    }
    byte[] absent = "abcdefghabcdefgj".getBytes(StandardCharsets.UTF_8);
    assertThat(map.get(absent, 0, absent.length, -1)).isEqualTo(-1);
    Map<String, Long> seen = new HashMap<>();
    map.forEach(seen::put);
    assertThat(seen)
        .hasSize(keys.length)
        .containsEntry("x".repeat(301), 110L)
        .containsEntry("", 0L);
  }

  @Test
  void keysThatDifferOnlyAfterTheirFirstEightBytesStayApartAmongManyAlike() {
    // 300,000 keys of one length and one head: by the birthday bound some pairs share their whole
    // 32-bit hash (about ten are expected), and only the comparison of the rest tells them apart.
    ByteSliceMap map = new ByteSliceMap(16);
    Map<String, Long> reference = new HashMap<>();
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 300_000; i++) {
      String key = "abcdefgh" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      map.add(bytes, 0, bytes.length, 1);
      reference.merge(key, 1L, Long::sum);
    }
    Map<String, Long> seen = new HashMap<>();
    map.forEach(seen::put);
    assertThat(seen).isEqualTo(reference);
  }
}
