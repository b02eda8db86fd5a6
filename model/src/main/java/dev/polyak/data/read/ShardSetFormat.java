package dev.polyak.data.read;

import dev.polyak.data.manifest.ImageManifest;
import dev.polyak.data.manifest.TextManifest;
import java.util.Optional;

/** The kinds of shard set {@code polyak preprocess} writes, by the manifest's {@code format}. */
public enum ShardSetFormat {
  WIKITEXT(TextManifest.FORMAT),
  CIFAR(ImageManifest.FORMAT);

  private final String id;

  ShardSetFormat(String id) {
    this.id = id;
  }

  /** As the manifest spells it, e.g. {@code polyak.wikitext-shards}. */
  public String id() {
    return id;
  }

  public static Optional<ShardSetFormat> fromId(String id) {
    for (ShardSetFormat f : values()) {
      if (f.id.equals(id)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
