package dev.polyak.train;

import dev.polyak.data.io.AvroFiles;
import dev.polyak.schemas.PruneEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run's pruning events on disk. Each event is written on its own, atomically, as {@code
 * <out>/prune-events/event-<step, 10 digits>.avro}, so an event that a resumed run repeats replaces
 * its own file; {@code <out>/prune_events.avro} then holds every event up to the run's current step
 * in step order, exactly one per step.
 */
public final class PruneEventFiles {
  /** The combined file in a run's folder. */
  public static final String COMBINED = "prune_events.avro";

  private PruneEventFiles() {}

  /** Writes {@code event}'s own file, then the combined file with every event up to its step. */
  public static void record(Path out, PruneEvent event) {
    AvroFiles.write(
        out.resolve("prune-events")
            .resolve(String.format(java.util.Locale.ROOT, "event-%010d.avro", event.getStep())),
        PruneEvent.class,
        List.of(event));
    combine(out, event.getStep());
  }

  /** Rewrites the combined file with the events at step {@code atMostStep} or before. */
  public static List<PruneEvent> combine(Path out, long atMostStep) {
    List<PruneEvent> events = read(out, atMostStep);
    AvroFiles.write(out.resolve(COMBINED), PruneEvent.class, events);
    return events;
  }

  /**
   * The events at step {@code atMostStep} or before, in step order, from their own files; reads
   * only (what a report on a run in progress may do).
   */
  public static List<PruneEvent> read(Path out, long atMostStep) {
    List<PruneEvent> events = new ArrayList<>();
    Path folder = out.resolve("prune-events");
    if (Files.isDirectory(folder)) {
      try (Stream<Path> files = Files.list(folder)) {
        for (Path file :
            files
                .filter(f -> f.getFileName().toString().matches("event-\\d{10,19}\\.avro"))
                .sorted(Comparator.comparing(Path::toString))
                .toList()) {
          events.addAll(AvroFiles.read(file, PruneEvent.class));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + folder, e);
      }
    }
    events.removeIf(e -> e.getStep() > atMostStep);
    return events;
  }
}
