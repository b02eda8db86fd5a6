package dev.polyak.transforms.preprocess;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;

/** Adds up per-chunk token counts into the counts of the whole vocabulary split. */
public final class MergeTokenCountsFn
    extends Combine.CombineFn<Map<String, Long>, Map<String, Long>, Map<String, Long>> {
  @Override
  public Map<String, Long> createAccumulator() {
    return new HashMap<>();
  }

  @Override
  public Map<String, Long> addInput(Map<String, Long> accumulator, Map<String, Long> input) {
    input.forEach((token, count) -> accumulator.merge(token, count, Long::sum));
    return accumulator;
  }

  @Override
  public Map<String, Long> mergeAccumulators(Iterable<Map<String, Long>> accumulators) {
    Map<String, Long> total = new HashMap<>();
    for (Map<String, Long> a : accumulators) {
      addInput(total, a);
    }
    return total;
  }

  @Override
  public Map<String, Long> extractOutput(Map<String, Long> accumulator) {
    return accumulator;
  }

  public static Coder<Map<String, Long>> coder() {
    return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
  }

  @Override
  public Coder<Map<String, Long>> getAccumulatorCoder(
      CoderRegistry registry, Coder<Map<String, Long>> inputCoder) {
    return coder();
  }

  @Override
  public Coder<Map<String, Long>> getDefaultOutputCoder(
      CoderRegistry registry, Coder<Map<String, Long>> inputCoder) {
    return coder();
  }
}
