package dev.polyak.data.io;

import dev.polyak.checkpoint.AtomicFiles;
import dev.polyak.data.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/** Avro container files of generated record classes, written atomically and read whole. */
public final class AvroFiles {
  private AvroFiles() {}

  /** Writes {@code records} to {@code file} (temporary file, then an atomic rename). */
  public static <T extends SpecificRecord> void write(Path file, Class<T> type, List<T> records) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataFileWriter<T> writer = new DataFileWriter<>(new SpecificDatumWriter<>(type))) {
      writer.create(schemaOf(type), bytes);
      for (T r : records) {
        writer.append(r);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + file, e);
    }
    AtomicFiles.writeBytes(file, bytes.toByteArray());
  }

  /**
   * Every record of {@code file}.
   *
   * @throws BadInputException naming the file if it is missing, truncated or not an Avro file of {@code type}
   */
  public static <T extends SpecificRecord> List<T> read(Path file, Class<T> type) {
    List<T> records = new ArrayList<>();
    try (DataFileReader<T> reader = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
      reader.forEach(records::add);
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(file + ": not a readable Avro file of " + type.getSimpleName() + " records: " + e.getMessage());
    }
    return records;
  }

  private static org.apache.avro.Schema schemaOf(Class<? extends SpecificRecord> type) {
    return org.apache.avro.specific.SpecificData.get().getSchema(type);
  }
}
