package dev.polyak.data.io;

import dev.polyak.BadInputException;
import dev.polyak.io.AtomicFiles;
import dev.polyak.io.Digests;
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

/**
 * Avro container files of generated record classes, written atomically and read whole. The same
 * records give the same bytes in any process: the sync marker, which Avro draws at random by
 * default, is a digest of the schema and the records.
 */
public final class AvroFiles {
  /** Bytes of a container file's sync marker. */
  private static final int SYNC_SIZE = 16;

  private AvroFiles() {}

  /** Writes {@code records} to {@code file} (temporary file, then an atomic rename). */
  public static <T extends SpecificRecord> void write(Path file, Class<T> type, List<T> records) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SpecificDatumWriter<T> datumWriter = new SpecificDatumWriter<>(type);
    org.apache.avro.Schema schema = schemaOf(type);
    try (DataFileWriter<T> writer = new DataFileWriter<>(datumWriter)) {
      writer.create(schema, bytes, syncMarker(schema, datumWriter, records));
      for (T r : records) {
        writer.append(r);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + file, e);
    }
    AtomicFiles.writeBytes(file, bytes.toByteArray());
  }

  /**
   * The first 16 bytes of SHA-256 over the schema and the records' binary encoding. A marker serves
   * to find block boundaries, so it must not occur in the data by chance; a digest of the data is
   * as unlikely to as a random draw, and is the same wherever the same records are written.
   */
  private static <T> byte[] syncMarker(
      org.apache.avro.Schema schema, SpecificDatumWriter<T> datumWriter, List<T> records)
      throws IOException {
    java.security.MessageDigest digest = Digests.sha256();
    digest.update(schema.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.apache.avro.io.BinaryEncoder encoder =
        org.apache.avro.io.EncoderFactory.get()
            .binaryEncoder(
                new java.security.DigestOutputStream(
                    java.io.OutputStream.nullOutputStream(), digest),
                null);
    for (T r : records) {
      datumWriter.write(r, encoder);
    }
    encoder.flush();
    return java.util.Arrays.copyOf(digest.digest(), SYNC_SIZE);
  }

  /**
   * Every record of {@code file}.
   *
   * @throws BadInputException naming the file if it is missing, truncated or not an Avro file of
   *     {@code type}
   */
  public static <T extends SpecificRecord> List<T> read(Path file, Class<T> type) {
    List<T> records = new ArrayList<>();
    forEach(file, type, records::add);
    return records;
  }

  /**
   * Hands every record of {@code file} to {@code action}, in file order, without keeping them.
   *
   * @return how many records there were
   * @throws BadInputException naming the file (and how many records were read before the damage) if
   *     it is missing, truncated or not an Avro file of {@code type} records
   */
  public static <T extends SpecificRecord> long forEach(
      Path file, Class<T> type, java.util.function.Consumer<? super T> action) {
    long count = 0;
    try (DataFileReader<T> reader =
        new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
      if (!reader.getSchema().getFullName().equals(type.getName())) {
        throw new BadInputException(
            file
                + ": holds "
                + reader.getSchema().getFullName()
                + " records, not "
                + type.getSimpleName());
      }
      long headerEnd = reader.previousSync();
      while (reader.hasNext()) {
        T record = reader.next();
        count++;
        action.accept(record);
      }
      requireWhole(file, headerEnd, count);
    } catch (IOException | org.apache.avro.AvroRuntimeException e) {
      throw new BadInputException(
          file
              + ": not a readable Avro file of "
              + type.getSimpleName()
              + " records (after "
              + count
              + " good records): "
              + e.getMessage(),
          e);
    }
    return count;
  }

  /**
   * Avro's reader ends quietly at a block cut short (it takes the end of file for the end of the
   * data), so a truncated file would lose its last records unnoticed. Every block of a container
   * file ends with the sync marker that closes its header, so a whole file ends with that marker.
   */
  private static void requireWhole(Path file, long headerEnd, long count) throws IOException {
    try (java.io.RandomAccessFile raw = new java.io.RandomAccessFile(file.toFile(), "r")) {
      byte[] sync = new byte[SYNC_SIZE];
      byte[] tail = new byte[SYNC_SIZE];
      raw.seek(headerEnd - SYNC_SIZE);
      raw.readFully(sync);
      raw.seek(raw.length() - SYNC_SIZE);
      raw.readFully(tail);
      if (!java.util.Arrays.equals(sync, tail)) {
        throw new BadInputException(
            file
                + ": truncated Avro file (its last block is cut short after "
                + count
                + " good records)");
      }
    }
  }

  private static org.apache.avro.Schema schemaOf(Class<? extends SpecificRecord> type) {
    return org.apache.avro.specific.SpecificData.get().getSchema(type);
  }
}
