package dev.polyak.train;

import ai.djl.Device;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.data.read.ShardSet;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.Bert;
import dev.polyak.nn.Mlp;
import java.util.Map;

/** Builds the trainer a {@link RunSpec} describes, on the splits of its shard set. */
public final class Trainers {
  private Trainers() {}

  /** Opens the splits (verifying their hashes against the manifest) and builds model and trainer. */
  public static Trainer create(RunSpec spec, ShardSet shards, Device device) {
    Map<String, Integer> options = spec.modelOptions();
    return switch (spec.family()) {
      case BERT -> {
        TokenDataset train = shards.tokens(spec.trainSplit());
        TokenDataset eval = shards.tokens(spec.evalSplit());
        yield new MlmTrainer(bert(spec.model(), options, train), spec.training(), train, eval, device);
      }
      case MLP -> {
        ImageDataset train = shards.images(spec.trainSplit());
        ImageDataset eval = shards.images(spec.evalSplit());
        int[] hidden = new int[options.getOrDefault("layers", 2)];
        java.util.Arrays.fill(hidden, options.getOrDefault("hidden", 512));
        Mlp.Config config = new Mlp.Config(3 * 32 * 32, hidden, train.classCount());
        yield new ClassificationTrainer(spec.training(), train, eval, (manager, init) -> new Mlp(config, manager, init), device);
      }
    };
  }

  /** A BERT preset with the run's overrides; positions as long as the shards' rows. */
  static Bert.Config bert(String preset, Map<String, Integer> options, TokenDataset train) {
    Bert.Config base = switch (preset) {
      case "bert-tiny" -> Bert.Config.tiny(train.vocabularySize());
      case "bert-small" -> Bert.Config.small(train.vocabularySize());
      case "bert-base" -> Bert.Config.base(train.vocabularySize());
      default -> throw new IllegalArgumentException("not a BERT preset: " + preset);
    };
    return new Bert.Config(train.vocabularySize(), options.getOrDefault("hidden", base.hidden()),
        options.getOrDefault("layers", base.layers()), options.getOrDefault("heads", base.heads()),
        options.getOrDefault("ffn", base.ffn()), train.seqLen());
  }
}
