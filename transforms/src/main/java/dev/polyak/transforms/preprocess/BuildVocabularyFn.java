package dev.polyak.transforms.preprocess;

import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.SimpleFunction;

/** Token counts of the vocabulary split to the vocabulary's tokens, in id order. */
public final class BuildVocabularyFn extends SimpleFunction<Map<String, Long>, List<String>> {
  private final WikiTextConfig config;

  public BuildVocabularyFn(WikiTextConfig config) {
    this.config = config;
  }

  @Override
  public List<String> apply(Map<String, Long> counts) {
    return Vocabulary.build(counts, config.minCount(), config.maxVocab(), config.unknownMarker())
        .tokens();
  }
}
