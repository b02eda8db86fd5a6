package dev.polyak.data.text;

import dev.polyak.schemas.TokenSequence;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Writes {@link TokenSequence} rows straight from an {@code int[]}, without boxing every id into an
 * Avro list: the same Parquet schema parquet-avro derives from {@code TokenSequence.avsc} (three-
 * level list), and the same {@code parquet.avro.schema} metadata, so {@code AvroParquetReader}
 * reads the shards back as {@code TokenSequence}. About twice as fast as the generic Avro path.
 *
 * <p>Where it can, it also skips Parquet's record assembly: a row is six required columns and one
 * list of required ints, so it writes each value to its column with the repetition and definition
 * levels that {@code MessageColumnIO}'s record consumer would compute, and ends the record on the
 * column store as that consumer does. That bookkeeping (a bit set and two group calls per id) cost
 * more than encoding the ids. The column store is a private field of the consumer Parquet hands
 * over; when the consumer is anything else (a validating or logging wrapper, a Parquet that renamed
 * the field), rows go through the consumer as before. The files are byte for byte the same either
 * way ({@code TokenRowWriteSupportTest}).
 */
final class TokenRowWriteSupport extends WriteSupport<TokenRowWriteSupport.Row> {
  /** One row; reused by the writer, so it holds its ids in a fixed array. */
  static final class Row {
    Binary split;
    long sequenceIndex;
    int[] ids;
    int length;
    long firstLine;
    int firstTokenInLine;
  }

  static final MessageType SCHEMA = schema();
  private static final String[] IDS = {"input_ids", "list", "element"};

  /** An id's definition level: input_ids and its repeated list group are both present. */
  private static final int IDS_DEFINED = SCHEMA.getColumnDescription(IDS).getMaxDefinitionLevel();

  private static final Field COLUMN_STORE = columnStoreField();

  private final boolean direct;
  private RecordConsumer consumer;

  /** The column store behind {@link #consumer} while rows bypass it; null otherwise. */
  private ColumnWriteStore columns;

  private ColumnWriter split;
  private ColumnWriter sequenceIndex;
  private ColumnWriter ids;
  private ColumnWriter length;
  private ColumnWriter firstLine;
  private ColumnWriter firstTokenInLine;

  TokenRowWriteSupport() {
    this(true);
  }

  /** {@code direct = false} always writes through the record consumer (the reference path). */
  TokenRowWriteSupport(boolean direct) {
    this.direct = direct;
  }

  private static MessageType schema() {
    Configuration conf = new Configuration(false);
    conf.setBoolean(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, false);
    return new AvroSchemaConverter(conf).convert(TokenSequence.getClassSchema());
  }

  @Override
  public WriteContext init(Configuration configuration) {
    // Sorted: the footer lists this map in its iteration order, and Map.of's changes with every
    // JVM.
    return new WriteContext(
        SCHEMA,
        new TreeMap<>(
            Map.of(
                "parquet.avro.schema",
                TokenSequence.getClassSchema().toString(),
                "writer.model.name",
                "avro")));
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    // Called again with a new consumer and column store after every row group.
    this.consumer = recordConsumer;
    this.columns = direct ? columnStore(recordConsumer) : null;
    if (columns != null) {
      split = writer("split");
      sequenceIndex = writer("sequence_index");
      ids = writer(IDS);
      length = writer("length");
      firstLine = writer("first_line");
      firstTokenInLine = writer("first_token_in_line");
    }
  }

  /** True while rows bypass the record consumer. */
  boolean writesColumnsDirectly() {
    return columns != null;
  }

  @Override
  public void write(Row row) {
    if (columns != null) {
      writeColumns(row);
      return;
    }
    RecordConsumer c = consumer;
    c.startMessage();
    c.startField("split", 0);
    c.addBinary(row.split);
    c.endField("split", 0);
    longField("sequence_index", 1, row.sequenceIndex);
    c.startField("input_ids", 2);
    c.startGroup();
    if (row.ids.length > 0) {
      c.startField("list", 0);
      for (int id : row.ids) {
        c.startGroup();
        intField("element", 0, id);
        c.endGroup();
      }
      c.endField("list", 0);
    }
    c.endGroup();
    c.endField("input_ids", 2);
    intField("length", 3, row.length);
    longField("first_line", 4, row.firstLine);
    intField("first_token_in_line", 5, row.firstTokenInLine);
    c.endMessage();
  }

  private void writeColumns(Row row) {
    split.write(row.split, 0, 0);
    sequenceIndex.write(row.sequenceIndex, 0, 0);
    int[] values = row.ids;
    if (values.length == 0) {
      ids.writeNull(0, IDS_DEFINED - 1); // an empty list: defined up to input_ids, no element
    } else {
      ColumnWriter w = ids;
      w.write(values[0], 0, IDS_DEFINED);
      for (int i = 1; i < values.length; i++) {
        w.write(values[i], 1, IDS_DEFINED);
      }
    }
    length.write(row.length, 0, 0);
    firstLine.write(row.firstLine, 0, 0);
    firstTokenInLine.write(row.firstTokenInLine, 0, 0);
    // As MessageColumnIORecordConsumer.endMessage does; it would first flush cached nulls, which
    // only optional groups produce and this schema has none.
    columns.endRecord();
  }

  private ColumnWriter writer(String... path) {
    ColumnDescriptor column = SCHEMA.getColumnDescription(path);
    return columns.getColumnWriter(column);
  }

  private static ColumnWriteStore columnStore(RecordConsumer consumer) {
    if (COLUMN_STORE == null || !COLUMN_STORE.getDeclaringClass().isInstance(consumer)) {
      return null;
    }
    try {
      return (ColumnWriteStore) COLUMN_STORE.get(consumer);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  private static Field columnStoreField() {
    try {
      Field field =
          Class.forName("org.apache.parquet.io.MessageColumnIO$MessageColumnIORecordConsumer")
              .getDeclaredField("columns");
      if (!ColumnWriteStore.class.isAssignableFrom(field.getType())) {
        return null;
      }
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private void intField(String name, int index, int value) {
    consumer.startField(name, index);
    consumer.addInteger(value);
    consumer.endField(name, index);
  }

  private void longField(String name, int index, long value) {
    consumer.startField(name, index);
    consumer.addLong(value);
    consumer.endField(name, index);
  }
}
