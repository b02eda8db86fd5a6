package dev.polyak.transforms;

import dev.polyak.schemas.ChunkStats;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ImageShardTask;
import dev.polyak.schemas.ShardResult;
import dev.polyak.schemas.TextChunk;
import dev.polyak.schemas.TextShardTask;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;

/** Registers an Avro coder for every schemas/ class that travels as a PCollection element. */
public final class PolyakCoders {
  private static final List<Class<?>> ELEMENT_TYPES =
      List.of(
          TextChunk.class,
          ChunkStats.class,
          TextShardTask.class,
          ImageShardTask.class,
          ShardResult.class,
          FileDigest.class);

  private PolyakCoders() {}

  public static void registerAll(Pipeline pipeline) {
    CoderRegistry registry = pipeline.getCoderRegistry();
    for (Class<?> type : ELEMENT_TYPES) {
      register(registry, type);
    }
  }

  private static <T> void register(CoderRegistry registry, Class<T> type) {
    registry.registerCoderForClass(type, AvroCoder.of(type));
  }
}
