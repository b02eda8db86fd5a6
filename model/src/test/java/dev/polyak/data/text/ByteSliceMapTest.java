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
}
