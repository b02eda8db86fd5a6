package dev.polyak.testing;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarLayout;
import dev.polyak.data.image.CifarShardTasks;
import dev.polyak.data.image.CifarShardWriter;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.io.ShardFiles;
import dev.polyak.data.io.ShardSetCommitter;
import dev.polyak.data.manifest.ImageManifest;
import dev.polyak.data.manifest.Manifests;
import dev.polyak.data.manifest.TextManifest;
import dev.polyak.data.text.ChunkScan;
import dev.polyak.data.text.SplitLayout;
import dev.polyak.data.text.TextChunks;
import dev.polyak.data.text.TextShardTasks;
import dev.polyak.data.text.TextShardWriter;
import dev.polyak.data.text.Vocabulary;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.data.text.WikiTextLayout;
import dev.polyak.io.Digests;
import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextChunk;
import dev.polyak.schemas.TextShardTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes small shard sets the way {@code polyak preprocess} does, with the model-level classes and
 * no Beam: the same shard writers, manifest builders and file names.
 */
public final class TestShardSets {
  private TestShardSets() {}

  /** A WikiText shard set of the splits in {@code input} into {@code out}. */
  public static void text(Path input, Path out, WikiTextConfig config) {
    WikiTextLayout.Found found = WikiTextLayout.detect(input);
    Map<String, SplitLayout> layouts = new LinkedHashMap<>();
    Map<String, Long> counts = new HashMap<>();
    List<FileDigest> inputs = new ArrayList<>();
    for (Map.Entry<String, Path> split : found.splits().entrySet()) {
      List<ChunkStats> stats = new ArrayList<>();
      for (TextChunk chunk :
          TextChunks.plan(split.getKey(), split.getValue(), TextChunks.DEFAULT_CHUNK_BYTES)) {
        ChunkScan scan =
            ChunkScan.scan(chunk, split.getKey().equals(config.vocabSplit()), config.eolToken());
        stats.add(scan.stats());
        scan.tokenCounts().ifPresent(c -> c.forEach((k, v) -> counts.merge(k, v, Long::sum)));
      }
      layouts.put(split.getKey(), SplitLayout.of(split.getKey(), stats));
      inputs.add(digest(split.getValue()));
    }
    Vocabulary vocabulary =
        Vocabulary.build(counts, config.minCount(), config.maxVocab(), config.unknownMarker());
    TextShardWriter writer = new TextShardWriter(config, vocabulary);
    List<ShardResult> shards = new ArrayList<>();
    Map<String, ShardResult> totals = new LinkedHashMap<>();
    for (SplitLayout layout : layouts.values()) {
      ShardResult total = ShardFiles.zero(layout.split());
      for (TextShardTask task : TextShardTasks.plan(layout.split(), layout.tokens(), config)) {
        ShardResult result = writer.write(task, layout, out);
        shards.add(result);
        total = ShardFiles.sum(total, result);
      }
      totals.put(layout.split(), total);
    }
    try {
      Files.write(out.resolve(ShardSetCommitter.VOCABULARY), vocabulary.fileBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Manifests.write(
        out.resolve(ShardSetCommitter.MANIFEST),
        TextManifest.build(found.layout(), inputs, config, vocabulary, layouts, totals, shards));
  }

  /** A CIFAR shard set of the official files in {@code input} into {@code out}. */
  public static void images(Path input, Path out, CifarVariant variant, CifarConfig config) {
    CifarLayout layout = CifarLayout.detect(input, Optional.of(variant));
    CifarShardWriter writer = new CifarShardWriter(variant);
    List<ShardResult> shards = new ArrayList<>();
    Map<String, ShardResult> totals = new LinkedHashMap<>();
    for (ImageShardTask task : CifarShardTasks.plan(layout, config)) {
      ShardResult result = writer.write(task, out);
      shards.add(result);
      totals.merge(task.getSplit().toString(), result, ShardFiles::sum);
    }
    List<FileDigest> inputs = new ArrayList<>();
    layout.splits().values().forEach(files -> files.forEach(f -> inputs.add(digest(f.path()))));
    Manifests.write(
        out.resolve(ShardSetCommitter.MANIFEST),
        ImageManifest.build(variant, inputs, config, totals, shards));
  }

  private static FileDigest digest(Path file) {
    try {
      return FileDigest.newBuilder()
          .setName(file.getFileName().toString())
          .setSizeBytes(Files.size(file))
          .setSha256(Digests.sha256Hex(file))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Synthetic CIFAR-10 from {@code seed} ({@code perFile} images in each of the six files) in
   * {@code dir/cifar-in}, preprocessed into {@code dir/cifar-shards} with the default config.
   *
   * @return the shard folder
   */
  public static Path syntheticCifar10(Path dir, long seed, int perFile) throws java.io.IOException {
    Path input = dir.resolve("cifar-in");
    dev.polyak.data.synthetic.SyntheticCifar.write(input, CifarVariant.CIFAR10, seed, perFile);
    Path shards = java.nio.file.Files.createDirectories(dir.resolve("cifar-shards"));
    images(input, shards, CifarVariant.CIFAR10, CifarConfig.defaults());
    return shards;
  }

  /**
   * A small generated WikiText corpus ({@code SyntheticWikiText(300)}, 5 articles of 12 paragraphs,
   * 3 validation and 3 test articles) in {@code dir/corpus}, preprocessed into {@code
   * dir/text-shards} with 50 rows per shard.
   *
   * @return the shard folder
   */
  public static Path syntheticWikiText(Path dir) throws java.io.IOException {
    Path corpus = dir.resolve("corpus");
    new dev.polyak.data.synthetic.SyntheticWikiText(300).write(corpus, 5, 12, 3, 3);
    Path text = java.nio.file.Files.createDirectories(dir.resolve("text-shards"));
    text(corpus, text, WikiTextConfig.defaults().withRowsPerShard(50));
    return text;
  }

  /** Flips every bit of one byte of {@code file}, keeping its size. */
  public static void corruptByte(Path file, long offset) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      bytes[Math.toIntExact(offset)] ^= (byte) 0xFF;
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The reference ids of a WikiText file: split lines on ASCII whitespace as Python's {@code
   * line.split()}, one end-of-line token per line, the unknown marker and missing words as [UNK].
   */
  public static List<Integer> referenceIds(
      Path file, Vocabulary vocabulary, String eol, String unknownMarker) {
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      ids.put(vocabulary.token(i), i);
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Integer> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
    for (int l = 0; l < count; l++) {
      for (String w : lines[l].split("[ \t\r\f\u000B]+")) {
        if (!w.isEmpty()) {
          out.add(
              w.equals(unknownMarker) ? Vocabulary.UNK_ID : ids.getOrDefault(w, Vocabulary.UNK_ID));
        }
      }
      out.add(ids.getOrDefault(eol, Vocabulary.UNK_ID));
    }
    return out;
  }
}
