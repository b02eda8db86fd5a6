package dev.polyak.checkpoint;

import java.util.Map;

/** Small checkpoints whose every field is set, for the checkpoint tests. */
final class TestCheckpoints {
  static final String RUN_SPEC =
      "{\"model\":\"bert-mini\",\"seed\":7,\"pruning\":{\"schedule\":\"linear\",\"target\":0.5},\"note\":\"ü\"}";

  private TestCheckpoints() {}

  static Checkpoint sample(long step, boolean pruning) {
    float scale = step + 1;
    return Checkpoint.builder()
        .setStep(step)
        .setWeights(
            Map.of(
                "encoder.0.attention.query.weight",
                Tensor.ofFloats(new float[] {scale, 0.5f, -1.25f, 2, 3, 4}, 2, 3),
                "encoder.0.attention.query.bias",
                Tensor.ofFloats(new float[] {0.1f, 0.2f}, 2)))
        .optOptimizerState(
            Map.of(
                "encoder.0.attention.query.weight.m",
                Tensor.ofDoubles(new double[] {1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3}, 2, 3),
                "step",
                Tensor.ofLongs(new long[] {step})))
        .optMasks(Map.of("encoder.0.heads", Tensor.ofBytes(new byte[] {1, 0, 1, 1}, 4)))
        .optRandomCursors(Map.of("data order", 1000 + step, "masking", 3L, "init", 0L))
        .setRunSpecJson(RUN_SPEC)
        .optMetricsJson("{\"loss\":[2.5,2.25],\"step\":[0," + step + "]}")
        .optPruning(pruning)
        .optPolyakVersion("0.1.0-test")
        .build();
  }
}
