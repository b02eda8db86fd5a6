package dev.polyak.data.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShardPlanTest {
  @Test
  void rowsPerShardGivesFullShardsAndARemainder() {
    ShardPlan plan = ShardPlan.byRowsPerShard(25, 10);
    assertThat(plan.shardCount()).isEqualTo(3);
    assertThat(new long[] {plan.rowCount(0), plan.rowCount(1), plan.rowCount(2)})
        .containsExactly(10, 10, 5);
    assertThat(plan.firstRow(2)).isEqualTo(20);
  }

  @Test
  void fixedShardCountSpreadsRowsEvenly() {
    ShardPlan plan = ShardPlan.byShardCount(10, 4);
    // floor(i * 10 / 4): 0, 2, 5, 7, 10
    assertThat(
            new long[] {
              plan.firstRow(0),
              plan.firstRow(1),
              plan.firstRow(2),
              plan.firstRow(3),
              plan.firstRow(4)
            })
        .containsExactly(0, 2, 5, 7, 10);
  }

  @Test
  void anEmptySplitStillHasOneShard() {
    assertThat(ShardPlan.byRowsPerShard(0, 10).shardCount()).isEqualTo(1);
    assertThat(ShardPlan.byRowsPerShard(0, 10).rowCount(0)).isZero();
  }

  @Test
  void namesFollowTheHuggingFaceStyle() {
    assertThat(ShardPlan.fileName("train", 3, 12)).isEqualTo("train-00003-of-00012.parquet");
    assertThat(ShardPlan.isShardFileName("valid-00000-of-00001.parquet")).isTrue();
    assertThat(ShardPlan.isShardFileName("valid-0-of-1.parquet")).isFalse();
    assertThatThrownBy(() -> ShardPlan.byRowsPerShard(10, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
