package dev.polyak.transforms.preprocess;

import dev.polyak.data.io.ShardFiles;
import dev.polyak.schemas.ShardResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Adds up the statistics of the shards of one split (rows, tokens, label counts, exact per-channel
 * pixel sums): exact integer sums, so the result does not depend on how the runner groups them.
 */
public final class SumShardResultsFn
    extends Combine.CombineFn<ShardResult, ShardResult, ShardResult> {
  @Override
  public ShardResult createAccumulator() {
    return ShardFiles.zero("");
  }

  @Override
  public ShardResult addInput(ShardResult accumulator, ShardResult input) {
    return ShardFiles.sum(input, accumulator);
  }

  @Override
  public ShardResult mergeAccumulators(Iterable<ShardResult> accumulators) {
    ShardResult total = createAccumulator();
    for (ShardResult a : accumulators) {
      total = a.getSplit().isEmpty() ? ShardFiles.sum(total, a) : ShardFiles.sum(a, total);
    }
    return total;
  }

  @Override
  public ShardResult extractOutput(ShardResult accumulator) {
    return accumulator;
  }

  @Override
  public Coder<ShardResult> getAccumulatorCoder(
      CoderRegistry registry, Coder<ShardResult> inputCoder) {
    return AvroCoder.of(ShardResult.class);
  }
}
