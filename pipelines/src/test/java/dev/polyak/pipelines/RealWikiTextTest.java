package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.manifest.Manifests;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.schemas.TokenSequence;
import dev.polyak.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Genuine WikiText-2 (valid and test splits; the train split is not in shared/data, so the
 * vocabulary is built from valid) on embedded Flink, checked against the published counts and
 * against an independent tokenization of the source files, row by row.
 */
class RealWikiTextTest {
  private static final int SEQ_LEN = 128;
  @TempDir static Path dir;
  static Path source;
  static Path out;
  static Map<String, Object> manifest;

  @BeforeAll
  static void preprocess() {
    source = SharedData.dir().resolve("wikitext-2");
    out = dir.resolve("shards");
    WikiTextConfig config = WikiTextConfig.defaults().withVocabSplit("valid");
    PreprocessPipeline.run(
        new PreprocessPipeline.WikiTextJob(source, out, config, false), TestJobs.flink(2));
    manifest = Manifests.read(out.resolve("manifest.json"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> split(String name) {
    return (Map<String, Object>) ((Map<String, Object>) manifest.get("splits")).get(name);
  }

  @Test
  void manifestCountsEqualThePublishedWikiText2Counts() {
    assertThat(split("valid"))
        .containsEntry("lines", 3760)
        .containsEntry("tokens", 217_646)
        .containsEntry("sequences", 217_646 / SEQ_LEN)
        .containsEntry("dropped_tail_tokens", 217_646 % SEQ_LEN);
    assertThat(split("test"))
        .containsEntry("lines", 4358)
        .containsEntry("tokens", 245_569)
        .containsEntry("sequences", 245_569 / SEQ_LEN);
    assertThat(manifest.get("inputs").toString())
        .contains("f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8")
        .contains("d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0");
  }

  @Test
  void everyRowEqualsAnIndependentTokenizationOfTheSource() throws IOException {
    Vocabulary vocabulary = Vocabulary.read(out.resolve("vocab.txt"));
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      ids.put(vocabulary.token(i), i);
    }
    for (String split : List.of("valid", "test")) {
      List<String> lines =
          Files.readAllLines(source.resolve(split + ".txt"), StandardCharsets.UTF_8);
      List<Integer> stream = new ArrayList<>();
      long unknown = 0;
      for (String line : lines) {
        for (String word : line.trim().split(" +")) {
          if (!word.isEmpty()) {
            int id =
                word.equals("<unk>")
                    ? Vocabulary.UNK_ID
                    : ids.getOrDefault(word, Vocabulary.UNK_ID);
            stream.add(id);
          }
        }
        stream.add(ids.get("<eos>"));
      }
      List<TokenSequence> rows = TestJobs.<TokenSequence>readShards(out, split + "-");
      assertThat(rows).hasSize(stream.size() / SEQ_LEN);
      for (int r = 0; r < rows.size(); r++) {
        assertThat(rows.get(r).getSequenceIndex()).isEqualTo(r);
        assertThat(rows.get(r).getInputIds())
            .as("%s row %d", split, r)
            .isEqualTo(stream.subList(r * SEQ_LEN, (r + 1) * SEQ_LEN));
      }
      unknown =
          stream.subList(0, rows.size() * SEQ_LEN).stream()
              .filter(id -> id == Vocabulary.UNK_ID)
              .count();
      assertThat(split(split)).containsEntry("unk_tokens_in_sequences", (int) unknown);
    }
  }

  @Test
  void rowsDecodeBackToTheSourceLinesTheyPointAt() throws IOException {
    Vocabulary vocabulary = Vocabulary.read(out.resolve("vocab.txt"));
    List<String> lines = Files.readAllLines(source.resolve("valid.txt"), StandardCharsets.UTF_8);
    List<TokenSequence> rows = TestJobs.<TokenSequence>readShards(out, "valid-");
    for (int r : new int[] {0, 1, 2, 500, rows.size() - 1}) {
      TokenSequence row = rows.get(r);
      // Rebuild the words from the row's start, following the lines of the source.
      List<String> expected = new ArrayList<>();
      int line = (int) row.getFirstLine();
      int skip = row.getFirstTokenInLine();
      while (expected.size() < SEQ_LEN) {
        List<String> words = new ArrayList<>();
        for (String w : lines.get(line).trim().split(" +")) {
          if (!w.isEmpty()) {
            words.add(w.equals("<unk>") ? "[UNK]" : w);
          }
        }
        words.add("<eos>");
        expected.addAll(words.subList(Math.min(skip, words.size()), words.size()));
        skip = 0;
        line++;
      }
      List<String> decoded = row.getInputIds().stream().map(vocabulary::token).toList();
      assertThat(String.join(" ", decoded))
          .isEqualTo(String.join(" ", expected.subList(0, SEQ_LEN)));
    }
    // The corpus opens with an empty line, then the first article's title.
    assertThat(rows.get(0).getInputIds().stream().limit(5).map(vocabulary::token).toList())
        .containsExactly("<eos>", "=", "Homarus", "gammarus", "=");
  }

  @Test
  void theRawReleaseHasTheSameCounts() {
    Path raw = SharedData.dir().resolve("wikitext-2-raw");
    Path rawOut = dir.resolve("raw");
    PreprocessPipeline.run(
        new PreprocessPipeline.WikiTextJob(
            raw, rawOut, WikiTextConfig.defaults().withVocabSplit("valid"), false),
        TestJobs.direct(2));
    @SuppressWarnings("unchecked")
    Map<String, Object> splits =
        (Map<String, Object>) Manifests.read(rawOut.resolve("manifest.json")).get("splits");
    assertThat(splits.get("valid").toString()).contains("tokens=217646").contains("lines=3760");
    assertThat(splits.get("test").toString()).contains("tokens=245569").contains("lines=4358");
  }
}
