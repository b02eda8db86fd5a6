package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.ByteSliceMap;
import dev.polyak.data.text.ChunkScan;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.TextChunk;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.TupleTag;

/**
 * First pass: validates a chunk and counts its lines and tokens; for the vocabulary split also
 * counts its tokens. The token counts of all the chunks of a bundle are summed in one map and
 * emitted once on {@link #TOKEN_COUNTS} when the bundle ends: a sum is the same whatever the
 * grouping, and one map per bundle instead of one per chunk spares a {@code String} and a boxed
 * count per distinct token and chunk, and most of the vocabulary combine.
 */
public final class ScanChunkFn extends DoFn<TextChunk, ChunkStats> {
  public static final TupleTag<ChunkStats> STATS = new TupleTag<>() {};
  public static final TupleTag<Map<String, Long>> TOKEN_COUNTS = new TupleTag<>() {};

  private final Counter bytesScanned = Metrics.counter(ScanChunkFn.class, "bytesScanned");
  private final Counter tokensScanned = Metrics.counter(ScanChunkFn.class, "tokensScanned");
  private final String vocabSplit;
  private final String eolToken;
  private transient ByteSliceMap bundleCounts;

  public ScanChunkFn(String vocabSplit, String eolToken) {
    this.vocabSplit = vocabSplit;
    this.eolToken = eolToken;
  }

  @StartBundle
  public void startBundle() {
    bundleCounts = null;
  }

  @ProcessElement
  public void process(@Element TextChunk chunk, MultiOutputReceiver out) {
    ByteSliceMap counts = null;
    if (chunk.getSplit().equals(vocabSplit)) {
      if (bundleCounts == null) {
        bundleCounts = new ByteSliceMap(1 << 15);
      }
      counts = bundleCounts;
    }
    ChunkStats stats = ChunkScan.scan(chunk, counts, eolToken);
    out.get(STATS).output(stats);
    bytesScanned.inc(chunk.getEndByte() - chunk.getStartByte());
    tokensScanned.inc(stats.getTokens());
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    if (bundleCounts != null) {
      Map<String, Long> counts = new HashMap<>(bundleCounts.size() * 2);
      bundleCounts.forEach(counts::put);
      bundleCounts = null;
      context.output(
          TOKEN_COUNTS, counts, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }
}
