package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionPolicyTest {
  @TempDir Path dir;

  private static void saveSteps(CheckpointStore store) {
    for (long step = 100; step <= 800; step += 100) {
      store.save(TestCheckpoints.sample(step, step == 300 || step == 600));
    }
  }

  @Test
  void keepsTheLastRegularCheckpointsAndEveryPruningOne() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepLast(2));

    saveSteps(store);

    assertThat(store.list())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "ckpt-0000000300-prune.safetensors",
            "ckpt-0000000600-prune.safetensors",
            "ckpt-0000000700.safetensors",
            "ckpt-0000000800.safetensors");
  }

  @Test
  void withoutPruningProtectionOnlyTheNewestAreKept() {
    CheckpointStore store =
        new CheckpointStore(dir, RetentionPolicy.keepLast(3).withPruningCheckpoints(false));

    saveSteps(store);

    assertThat(store.list())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "ckpt-0000000600-prune.safetensors",
            "ckpt-0000000700.safetensors",
            "ckpt-0000000800.safetensors");
  }

  @Test
  void checkpointsAtMultiplesOfTheKeepEveryIntervalOutliveTheNewest() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepLast(2).keepingEvery(200));

    saveSteps(store);

    // 200, 400 and 800 are kept for their step, 300 and 600 as pruning checkpoints; of the others
    // (100, 500,
    // 700) the two newest stay
    assertThat(store.list())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "ckpt-0000000200.safetensors",
            "ckpt-0000000300-prune.safetensors",
            "ckpt-0000000400.safetensors",
            "ckpt-0000000500.safetensors",
            "ckpt-0000000600-prune.safetensors",
            "ckpt-0000000700.safetensors",
            "ckpt-0000000800.safetensors");
  }

  @Test
  void keepAllDeletesNothing() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepAll());

    saveSteps(store);

    assertThat(store.list()).hasSize(8);
  }

  @Test
  void theCheckpointJustSavedIsNeverDeleted() {
    CheckpointStore store = new CheckpointStore(dir, RetentionPolicy.keepLast(1));
    store.save(TestCheckpoints.sample(500, false));

    Path older = store.save(TestCheckpoints.sample(400, false));

    assertThat(older).exists();
  }

  @Test
  void aPolicyMustKeepSomething() {
    assertThatThrownBy(() -> RetentionPolicy.keepLast(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> RetentionPolicy.keepLast(1).keepingEvery(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not -5");
  }
}
