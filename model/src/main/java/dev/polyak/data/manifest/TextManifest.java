package dev.polyak.data.manifest;

import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.text.SplitLayout;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TokenSequence;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The manifest of a WikiText shard set. */
public final class TextManifest {
  public static final String FORMAT = "polyak.wikitext-shards";

  private TextManifest() {}

  /**
   * @param totals per split, the sum of its shard results
   * @param layouts per split, where its chunks' tokens and lines start
   */
  public static Map<String, Object> build(
      WikiTextLayout layout,
      List<FileDigest> inputs,
      WikiTextConfig config,
      Vocabulary vocabulary,
      Map<String, SplitLayout> layouts,
      Map<String, ShardResult> totals,
      List<ShardResult> shards) {
    Map<String, Object> config0 = new LinkedHashMap<>();
    config0.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
    config0.putAll(config.describe());
    Map<String, Object> m = Manifests.head(FORMAT, inputs, config0);
    Map<String, Object> vocab = new LinkedHashMap<>();
    vocab.put("file", ShardSetCommitter.VOCABULARY);
    vocab.put("size", vocabulary.size());
    vocab.put("sha256", vocabulary.sha256());
    vocab.put("special_tokens", Vocabulary.SPECIAL_TOKENS);
    m.put("vocabulary", vocab);
    m.put("row_schema", TokenSequence.getClassSchema().toString());
    Map<String, Object> splits = new LinkedHashMap<>();
    for (String split : WikiTextLayout.SPLITS) {
      SplitLayout l = layouts.get(split);
      if (l == null) {
        continue;
      }
      ShardResult total = totals.get(split);
      long rows = total.getRows();
      long inRows = Math.min(l.tokens(), rows * config.seqLen());
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("source_file", layout.fileName(split));
      s.put("lines", l.lines());
      s.put("tokens", l.tokens());
      s.put("sequences", rows);
      s.put("tokens_in_sequences", inRows);
      s.put("dropped_tail_tokens", l.tokens() - inRows);
      s.put("unk_tokens_in_sequences", total.getUnkTokens());
      s.put("pad_tokens", rows * config.seqLen() - total.getRealTokens());
      s.put("shards", Manifests.shards(split, shards));
      splits.put(split, s);
    }
    m.put("splits", splits);
    return m;
  }
}
