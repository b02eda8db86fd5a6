package dev.polyak.train;

import ai.djl.Device;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.data.read.ShardSet;
import dev.polyak.data.read.TokenDataset;
import dev.polyak.nn.Bert;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.ResNet56;
import dev.polyak.nn.Switch;
import dev.polyak.nn.Vgg16;
import dev.polyak.random.RandomStreams;
import java.util.Arrays;
import java.util.Map;

/** Builds the trainer a {@link RunSpec} describes, on the splits of its shard set. */
public final class Trainers {
  private Trainers() {}

  /**
   * Opens the splits (verifying their hashes against the manifest) and builds model and trainer.
   */
  public static Trainer create(RunSpec spec, ShardSet shards, Device device) {
    Map<String, Integer> options = spec.modelOptions();
    TrainingConfig training = spec.training();
    if (spec.family().transformer()) {
      TokenDataset train = shards.tokens(spec.trainSplit());
      TokenDataset eval = shards.tokens(spec.evalSplit());
      Bert.Config bert = bert(spec.model().replace("switch-", "bert-"), options, train);
      MlmTrainer.ModelFactory factory =
          spec.family() == ModelFamily.SWITCH
              ? (manager, init) ->
                  new Switch(
                      Switch.Config.of(
                          bert,
                          options.getOrDefault("experts", Switch.Config.DEFAULT_EXPERTS),
                          Switch.Config.DEFAULT_CAPACITY_FACTOR,
                          Switch.Config.DEFAULT_AUXILIARY_LOSS_COEFFICIENT),
                      manager,
                      init)
              : (manager, init) -> new Bert(bert, manager, init);
      return new MlmTrainer(factory, training, train, eval, device);
    }
    ImageDataset train = shards.images(spec.trainSplit());
    ImageDataset eval = shards.images(spec.evalSplit());
    int classes = train.classCount();
    ClassificationTrainer.ModelFactory factory =
        switch (spec.family()) {
          case MLP -> {
            int[] hidden = new int[options.getOrDefault("layers", 2)];
            Arrays.fill(hidden, options.getOrDefault("hidden", 512));
            Mlp.Config config = new Mlp.Config(3 * 32 * 32, hidden, classes);
            yield (manager, streams) ->
                new Mlp(config, manager, streams.stream(RandomStreams.INIT));
          }
          case VGG -> {
            Vgg16.Config config =
                Vgg16.Config.reduced(classes, options.getOrDefault("width_divisor", 1));
            yield (manager, streams) ->
                new Vgg16(
                    config,
                    manager,
                    streams.stream(RandomStreams.INIT),
                    streams.stream(RandomStreams.DROPOUT));
          }
          case RESNET -> {
            ResNet56.Config config =
                new ResNet56.Config(options.getOrDefault("blocks_per_stage", 9), classes);
            yield (manager, streams) ->
                new ResNet56(config, manager, streams.stream(RandomStreams.INIT));
          }
          default -> throw new IllegalStateException("not an image model: " + spec.model());
        };
    return new ClassificationTrainer(training, train, eval, factory, device);
  }

  /** A BERT preset with the run's overrides; positions as long as the shards' rows. */
  static Bert.Config bert(String preset, Map<String, Integer> options, TokenDataset train) {
    Bert.Config base =
        switch (preset) {
          case "bert-tiny" -> Bert.Config.tiny(train.vocabularySize());
          case "bert-small" -> Bert.Config.small(train.vocabularySize());
          case "bert-base" -> Bert.Config.base(train.vocabularySize());
          default -> throw new IllegalArgumentException("not a BERT preset: " + preset);
        };
    return new Bert.Config(
        train.vocabularySize(),
        options.getOrDefault("hidden", base.hidden()),
        options.getOrDefault("layers", base.layers()),
        options.getOrDefault("heads", base.heads()),
        options.getOrDefault("ffn", base.ffn()),
        train.seqLen());
  }
}
