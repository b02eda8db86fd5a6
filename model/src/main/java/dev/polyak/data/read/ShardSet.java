package dev.polyak.data.read;

import dev.polyak.BadInputException;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.io.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A shard set written by {@code polyak preprocess}, opened for training. {@link #open} reads and
 * checks {@code manifest.json} (format, splits, every shard present with its recorded size, and for
 * text the vocabulary file's digest); {@link #tokens} and {@link #images} first check every shard
 * of the split against the manifest's sha256 and size, so a changed or swapped shard is refused
 * before any of its rows is used. Every refusal is a {@link BadInputException} naming the file and
 * what differs.
 */
public final class ShardSet {
  /** The manifest {@code format_version} this reader understands. */
  public static final int SUPPORTED_FORMAT_VERSION = 1;

  private final Path folder;
  private final ShardSetFormat format;
  private final Map<String, Object> manifest;
  private final Map<String, List<ShardEntry>> shards;
  private final ManifestFields fields;

  private ShardSet(
      Path folder,
      ShardSetFormat format,
      Map<String, Object> manifest,
      Map<String, List<ShardEntry>> shards,
      ManifestFields fields) {
    this.folder = folder;
    this.format = format;
    this.manifest = manifest;
    this.shards = shards;
    this.fields = fields;
  }

  /** Opens the shard set in {@code folder}: manifest, format, shard presence and sizes. */
  public static ShardSet open(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new BadInputException(
          "shard set folder " + folder + " does not exist or is not a folder");
    }
    Path file = folder.resolve(ShardSetCommitter.MANIFEST);
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(
          file
              + ": missing; "
              + folder
              + " is not a complete shard set (run polyak preprocess, or a run was interrupted)");
    }
    Map<String, Object> manifest;
    try {
      manifest = Manifests.read(file);
    } catch (UncheckedIOException e) {
      throw new BadInputException(
          file + ": not a valid manifest (" + e.getCause().getMessage() + ")", e);
    }
    ManifestFields fields = new ManifestFields(file);
    String formatId = fields.string(manifest, "", "format");
    ShardSetFormat format =
        ShardSetFormat.fromId(formatId)
            .orElseThrow(
                () ->
                    fields.bad(
                        "unknown format '"
                            + formatId
                            + "'; expected "
                            + ShardSetFormat.WIKITEXT.id()
                            + " or "
                            + ShardSetFormat.CIFAR.id()));
    long version = fields.integer(manifest, "", "format_version");
    if (version != SUPPORTED_FORMAT_VERSION) {
      throw fields.bad(
          "format_version "
              + version
              + " is not supported; this polyak reads version "
              + SUPPORTED_FORMAT_VERSION);
    }
    Map<String, List<ShardEntry>> shards = new LinkedHashMap<>();
    Map<String, Object> splits = fields.map(manifest, "", "splits");
    for (String split : splits.keySet()) {
      String where = "splits." + split + ".";
      Map<String, Object> s = fields.map(splits, "splits.", split);
      List<ShardEntry> entries = ShardEntries.parse(fields, s, where);
      long rows = entries.stream().mapToLong(ShardEntry::rows).sum();
      long expected =
          fields.integer(s, where, format == ShardSetFormat.WIKITEXT ? "sequences" : "rows");
      if (rows != expected) {
        throw fields.bad(
            "the shards of split "
                + split
                + " hold "
                + rows
                + " rows but the split lists "
                + expected);
      }
      for (ShardEntry entry : entries) {
        ShardEntries.checkSize(folder.resolve(entry.file()), entry);
      }
      shards.put(split, List.copyOf(entries));
    }
    if (format == ShardSetFormat.WIKITEXT) {
      checkVocabulary(folder, fields, fields.map(manifest, "", "vocabulary"));
    }
    return new ShardSet(folder, format, manifest, Collections.unmodifiableMap(shards), fields);
  }

  private static void checkVocabulary(
      Path folder, ManifestFields fields, Map<String, Object> vocabulary) {
    String name =
        ShardEntries.plainName(
            fields, fields.string(vocabulary, "vocabulary.", "file"), "vocabulary.file");
    Path file = folder.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(
          file + ": missing; " + fields.file() + " lists it as the vocabulary");
    }
    String expected = fields.string(vocabulary, "vocabulary.", "sha256");
    String actual = Digests.sha256Hex(file);
    if (!actual.equals(expected)) {
      throw new BadInputException(
          file
              + ": sha256 "
              + actual
              + " does not match "
              + expected
              + " in the manifest; the vocabulary was changed after preprocessing");
    }
  }

  public Path folder() {
    return folder;
  }

  public ShardSetFormat format() {
    return format;
  }

  /** The splits in manifest order. */
  public Set<String> splits() {
    return shards.keySet();
  }

  /** The shards of {@code split} in row order. */
  public List<ShardEntry> shards(String split) {
    List<ShardEntry> entries = shards.get(split);
    if (entries == null) {
      throw new BadInputException(
          fields.file() + ": no split '" + split + "'; the set holds " + shards.keySet());
    }
    return entries;
  }

  /** The parsed manifest (nested maps and lists); do not modify it. */
  public Map<String, Object> manifest() {
    return Collections.unmodifiableMap(manifest);
  }

  /** Checks every shard of {@code split} against the manifest's size and sha256. */
  public void verify(String split) {
    for (ShardEntry entry : shards(split)) {
      ShardEntries.verify(folder.resolve(entry.file()), entry);
    }
  }

  /** Tokens per sequence of a text shard set (its config's seq_len). */
  public int sequenceLength() {
    requireFormat(ShardSetFormat.WIKITEXT);
    return Math.toIntExact(
        fields.integer(fields.map(manifest, "", "config"), "config.", "seq_len"));
  }

  /** Every row of a text split, in sequence_index order, after {@link #verify}. */
  public TokenDataset tokens(String split) {
    requireFormat(ShardSetFormat.WIKITEXT);
    verify(split);
    Map<String, Object> vocabulary = fields.map(manifest, "", "vocabulary");
    int seqLen = sequenceLength();
    int vocabularySize = Math.toIntExact(fields.integer(vocabulary, "vocabulary.", "size"));
    return TokenShardReader.read(folder, split, shards(split), seqLen, vocabularySize);
  }

  /**
   * Every image of a split in shard order, after {@link #verify}, with the train split's channel
   * mean and std (normalisation always uses train statistics).
   */
  public ImageDataset images(String split) {
    requireFormat(ShardSetFormat.CIFAR);
    List<ShardEntry> entries = shards(split);
    Map<String, Object> splits = fields.map(manifest, "", "splits");
    if (!splits.containsKey("train")) {
      throw fields.bad(
          "no train split, so no train channel statistics to normalise " + split + " with");
    }
    Map<String, Object> train = fields.map(splits, "splits.", "train");
    double[] mean = fields.numbers(train, "splits.train.", "channel_mean", 3);
    double[] std = fields.numbers(train, "splits.train.", "channel_std", 3);
    for (int c = 0; c < 3; c++) {
      if (!(std[c] > 0)) {
        throw fields.bad(
            "splits.train.channel_std[" + c + "] is " + std[c] + "; cannot normalise by it");
      }
    }
    String variant = fields.string(fields.map(manifest, "", "config"), "config.", "variant");
    verify(split);
    return ImageShardReader.read(folder, split, entries, variant, toFloats(mean), toFloats(std));
  }

  private void requireFormat(ShardSetFormat wanted) {
    if (format != wanted) {
      throw new BadInputException(
          fields.file() + ": a " + format.id() + " set, not " + wanted.id());
    }
  }

  private static float[] toFloats(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      f[i] = (float) values[i];
    }
    return f;
  }

  static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
  }
}
