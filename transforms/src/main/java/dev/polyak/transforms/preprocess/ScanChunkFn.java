package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.ChunkScan;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.TextChunk;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;

/**
 * First pass: validates a chunk and counts its lines and tokens; for the vocabulary split also
 * emits the chunk's token counts on {@link #TOKEN_COUNTS}.
 */
public final class ScanChunkFn extends DoFn<TextChunk, ChunkStats> {
  public static final TupleTag<ChunkStats> STATS = new TupleTag<>() {};
  public static final TupleTag<Map<String, Long>> TOKEN_COUNTS = new TupleTag<>() {};

  private final Counter bytesScanned = Metrics.counter(ScanChunkFn.class, "bytesScanned");
  private final Counter tokensScanned = Metrics.counter(ScanChunkFn.class, "tokensScanned");
  private final String vocabSplit;
  private final String eolToken;

  public ScanChunkFn(String vocabSplit, String eolToken) {
    this.vocabSplit = vocabSplit;
    this.eolToken = eolToken;
  }

  @ProcessElement
  public void process(@Element TextChunk chunk, MultiOutputReceiver out) {
    ChunkScan scan = ChunkScan.scan(chunk, chunk.getSplit().equals(vocabSplit), eolToken);
    out.get(STATS).output(scan.stats());
    scan.tokenCounts().ifPresent(counts -> out.get(TOKEN_COUNTS).output(counts));
    bytesScanned.inc(chunk.getEndByte() - chunk.getStartByte());
    tokensScanned.inc(scan.stats().getTokens());
  }
}
