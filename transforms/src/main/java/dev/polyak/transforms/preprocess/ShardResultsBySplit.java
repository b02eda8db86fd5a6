package dev.polyak.transforms.preprocess;

import dev.polyak.schemas.ShardResult;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The two views a commit step needs of the written shards: every shard result, and per split their
 * sum (a Combine, so the statistics are added where the shards were written).
 */
public final class ShardResultsBySplit {
  public final PCollectionView<List<ShardResult>> shards;
  public final PCollectionView<Map<String, ShardResult>> totals;

  private ShardResultsBySplit(
      PCollectionView<List<ShardResult>> shards, PCollectionView<Map<String, ShardResult>> totals) {
    this.shards = shards;
    this.totals = totals;
  }

  public static ShardResultsBySplit of(PCollection<ShardResult> results) {
    PCollectionView<List<ShardResult>> shards = results.apply("ListShards", View.asList());
    PCollectionView<Map<String, ShardResult>> totals =
        results
            .apply(
                "KeyBySplit",
                WithKeys.of((ShardResult r) -> r.getSplit()).withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(ShardResult.class)))
            .apply("SumPerSplit", Combine.perKey(new SumShardResultsFn()))
            .apply("TotalsBySplit", View.asMap());
    return new ShardResultsBySplit(shards, totals);
  }
}
