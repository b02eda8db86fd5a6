package dev.polyak.data.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.io.ParquetShards;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextChunk;
import dev.polyak.schemas.TextShardTask;
import dev.polyak.schemas.TokenSequence;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.ParquetReader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked scan and the independent shard writers against a straightforward String-based
 * reference: split the whole text into lines and words, count, look up, cut windows.
 */
class TextShardsMatchReferenceTest {
  private static final String TEXT =
      " = Title = \n \n The cat sat on the mat . <unk> \n Ein Mädchen läuft über die Straße \n"
          + " the end , the cat .\n\n tail\twords here \n last line without newline";

  @TempDir Path dir;

  /** One token of the reference stream. */
  private record Token(String text, long line, int inLine) {}

  private static List<Token> referenceTokens(String text) {
    List<Token> tokens = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
    for (int l = 0; l < count; l++) {
      int k = 0;
      for (String w : lines[l].split("[ \t\r\f\u000B]+")) {
        if (!w.isEmpty()) {
          tokens.add(new Token(w, l, k++));
        }
      }
      tokens.add(new Token("<eos>", l, k));
    }
    return tokens;
  }

  @ParameterizedTest(name = "seqLen {0}, chunk {1} bytes, tail {2}, rowsPerShard {3}, shards {4}")
  @CsvSource({
    "4, 7, DROP, 3, 0",
    "5, 1000, PAD, 2, 0",
    "3, 16, PAD, 100, 4",
    "64, 9, DROP, 1, 0",
    "7, 13, DROP, 5, 0"
  })
  void shardsHoldExactlyTheReferenceWindows(
      int seqLen, int chunkBytes, WikiTextConfig.Tail tail, long rowsPerShard, int shards)
      throws IOException {
    Path file = dir.resolve("wiki.train.tokens");
    Files.writeString(file, TEXT, StandardCharsets.UTF_8);
    WikiTextConfig config =
        new WikiTextConfig(seqLen, "train", 1, 0, "<eos>", "<unk>", tail, rowsPerShard, shards);

    List<ChunkStats> stats = new ArrayList<>();
    Map<String, Long> counts = new HashMap<>();
    List<TextChunk> chunks = TextChunks.plan("train", file, chunkBytes);
    for (TextChunk chunk : chunks) {
      ChunkScan scan = ChunkScan.scan(chunk, true, "<eos>");
      stats.add(scan.stats());
      scan.tokenCounts().orElseThrow().forEach((k, v) -> counts.merge(k, v, Long::sum));
    }
    List<Token> reference = referenceTokens(TEXT);
    Map<String, Long> referenceCounts = new HashMap<>();
    reference.forEach(t -> referenceCounts.merge(t.text(), 1L, Long::sum));
    assertThat(counts).isEqualTo(referenceCounts);

    SplitLayout layout = SplitLayout.of("train", stats);
    assertThat(layout.tokens()).isEqualTo(reference.size());
    assertThat(layout.lines()).isEqualTo(8);

    Vocabulary vocabulary = Vocabulary.build(counts, 1, 0, "<unk>");
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      ids.put(vocabulary.token(i), i);
    }
    ids.put("<unk>", Vocabulary.UNK_ID);

    Path out = Files.createDirectory(dir.resolve("out"));
    TextShardWriter writer = new TextShardWriter(config, vocabulary);
    List<TokenSequence> rows = new ArrayList<>();
    long rowsInResults = 0;
    for (TextShardTask task : TextShardTasks.plan("train", layout.tokens(), config)) {
      ShardResult result = writer.write(task, layout, out);
      rowsInResults += result.getRows();
      try (ParquetReader<TokenSequence> reader =
          ParquetShards.reader(out.resolve(result.getFileName()))) {
        for (TokenSequence row = reader.read(); row != null; row = reader.read()) {
          rows.add(row);
        }
      }
    }

    long expectedRows =
        tail == WikiTextConfig.Tail.PAD
            ? (reference.size() + seqLen - 1) / seqLen
            : reference.size() / seqLen;
    assertThat(rows).hasSize((int) expectedRows);
    assertThat(rowsInResults).isEqualTo(expectedRows);
    for (int r = 0; r < rows.size(); r++) {
      TokenSequence row = rows.get(r);
      assertThat(row.getSequenceIndex()).isEqualTo(r);
      assertThat(row.getSplit()).isEqualTo("train");
      Token first = reference.get(r * seqLen);
      assertThat(row.getFirstLine()).isEqualTo(first.line());
      assertThat(row.getFirstTokenInLine()).isEqualTo(first.inLine());
      List<Integer> expected = new ArrayList<>();
      for (int i = r * seqLen; i < Math.min(reference.size(), (r + 1) * seqLen); i++) {
        expected.add(ids.get(reference.get(i).text()));
      }
      assertThat(row.getLength()).isEqualTo(expected.size());
      while (expected.size() < seqLen) {
        expected.add(Vocabulary.PAD_ID);
      }
      assertThat(row.getInputIds()).as("row %d", r).isEqualTo(expected);
    }
  }
}
