package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.text.WikiTextConfig;
import dev.polyak.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards of genuine WikiText-2 and CIFAR-10 are plain Parquet: DuckDB, a reader that shares no code
 * with polyak or parquet-java, reads them as a user would, and sees the README's column types, the
 * published row counts, rows that decode through vocab.txt to the source text, the data's class
 * counts and its first test pixel. DuckDB runs in-process through its JDBC driver, whose native
 * library has the Parquet reader built in: nothing is installed or downloaded (extension
 * autoloading is switched off, so a reader that had to be fetched would fail the test instead).
 */
class ParquetInteropTest {
  private static final int SEQ_LEN = 128;

  /** WikiText-2 valid: 213,886 words + 3,760 line ends. */
  private static final int VALID_TOKENS = 217_646;

  @TempDir static Path dir;
  static Path validText;
  static Path text;
  static Path images;
  static Connection duckdb;

  @BeforeAll
  static void preprocess() throws Exception {
    Path textInput = Files.createDirectories(dir.resolve("wikitext"));
    validText = SharedData.file("wikitext-2/valid.txt");
    Files.createSymbolicLink(textInput.resolve("valid.txt"), validText.toAbsolutePath());
    text = dir.resolve("text-shards");
    // 1,700 rows at 600 per shard: three files, so the glob has to gather them.
    WikiTextConfig config =
        new WikiTextConfig(
            SEQ_LEN, "valid", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.DROP, 600, 0);
    PreprocessPipeline.run(
        new PreprocessPipeline.WikiTextJob(textInput, text, config, false), TestJobs.direct(2));

    Path imageInput = Files.createDirectories(dir.resolve("cifar"));
    Files.createSymbolicLink(
        imageInput.resolve("data_batch_1.bin"),
        SharedData.file("cifar-sample/data_batch_1_first4000.bin").toAbsolutePath());
    Files.createSymbolicLink(
        imageInput.resolve("test_batch.bin"),
        SharedData.file("cifar-sample/test_batch_first1000.bin").toAbsolutePath());
    images = dir.resolve("image-shards");
    PreprocessPipeline.run(
        new PreprocessPipeline.CifarJob(
            imageInput, images, Optional.empty(), new CifarConfig(1500, 0), false),
        TestJobs.direct(2));

    Properties offline = new Properties();
    offline.setProperty("autoinstall_known_extensions", "false");
    offline.setProperty("autoload_known_extensions", "false");
    duckdb = DriverManager.getConnection("jdbc:duckdb:", offline);
  }

  @AfterAll
  static void close() throws SQLException {
    if (duckdb != null) {
      duckdb.close();
    }
  }

  /** Every row of {@code sql}, each as its columns' values in order. */
  private static List<List<Object>> query(String sql) throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    try (Statement statement = duckdb.createStatement();
        ResultSet result = statement.executeQuery(sql)) {
      int columns = result.getMetaData().getColumnCount();
      while (result.next()) {
        List<Object> row = new ArrayList<>();
        for (int c = 1; c <= columns; c++) {
          Object value = result.getObject(c);
          if (value instanceof Array array) {
            value = List.of((Object[]) array.getArray());
          } else if (value instanceof Blob blob) {
            value = blob.getBytes(1, (int) blob.length());
          }
          row.add(value);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static String shards(Path folder) {
    return "read_parquet('" + folder.resolve("*.parquet") + "')";
  }

  @Test
  void duckdbSeesTheDocumentedTypesAndThePublishedRowCount() throws SQLException {
    assertThat(
            query(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                    + shards(text)
                    + ")"))
        .containsExactly(
            List.of("split", "VARCHAR"),
            List.of("sequence_index", "BIGINT"),
            List.of("input_ids", "INTEGER[]"),
            List.of("length", "INTEGER"),
            List.of("first_line", "BIGINT"),
            List.of("first_token_in_line", "INTEGER"));
    // The standard three-level list: input_ids (LIST) > repeated group list > required int32
    // element.
    assertThat(
            query(
                "SELECT name, repetition_type, converted_type FROM parquet_schema('"
                    + text.resolve("valid-00000-of-00003.parquet")
                    + "') WHERE name IN ('input_ids', 'list', 'element')"))
        .containsExactly(
            List.of("input_ids", "REQUIRED", "LIST"),
            Arrays.asList("list", "REPEATED", null),
            Arrays.asList("element", "REQUIRED", null));

    // 217,646 tokens in windows of 128, the tail of 46 dropped: 1,700 rows, in three files.
    assertThat(
            query(
                "SELECT split, count(*), count(DISTINCT filename), min(len(input_ids)), max(len(input_ids)),"
                    + " min(length), min(sequence_index), max(sequence_index) FROM read_parquet('"
                    + text.resolve("*.parquet")
                    + "', filename = true) GROUP BY split"))
        .containsExactly(
            List.of(
                "valid",
                (long) (VALID_TOKENS / SEQ_LEN),
                3L,
                (long) SEQ_LEN,
                (long) SEQ_LEN,
                SEQ_LEN,
                0L,
                (long) (VALID_TOKENS / SEQ_LEN - 1)));
  }

  @Test
  void rowsDecodeThroughVocabTxtToTheSourceText() throws SQLException, IOException {
    // What a user does: vocab.txt's line n is id n.
    List<String> vocabulary = Files.readAllLines(text.resolve("vocab.txt"), StandardCharsets.UTF_8);
    // The independent truth: the source's whitespace-separated words, one <eos> per line, <unk> as
    // [UNK].
    List<String> tokens = new ArrayList<>();
    List<Integer> lineOfToken = new ArrayList<>();
    List<String> lines = Files.readAllLines(validText, StandardCharsets.UTF_8);
    for (int line = 0; line < lines.size(); line++) {
      for (String word : lines.get(line).trim().split("\\s+")) {
        if (!word.isEmpty()) {
          tokens.add(word.equals("<unk>") ? "[UNK]" : word);
          lineOfToken.add(line);
        }
      }
      tokens.add("<eos>");
      lineOfToken.add(line);
    }
    assertThat(tokens).hasSize(VALID_TOKENS);

    for (int row : new int[] {0, 1, 777, VALID_TOKENS / SEQ_LEN - 1}) {
      List<List<Object>> found =
          query(
              "SELECT input_ids, first_line FROM "
                  + shards(text)
                  + " WHERE sequence_index = "
                  + row);
      assertThat(found).as("row %d", row).hasSize(1);
      @SuppressWarnings("unchecked")
      List<Object> ids = (List<Object>) found.get(0).get(0);
      List<String> decoded = ids.stream().map(id -> vocabulary.get((Integer) id)).toList();
      assertThat(decoded)
          .as("row %d", row)
          .containsExactlyElementsOf(tokens.subList(row * SEQ_LEN, (row + 1) * SEQ_LEN));
      assertThat(found.get(0).get(1)).isEqualTo((long) lineOfToken.get(row * SEQ_LEN));
    }
  }

  @Test
  void duckdbCountsTheClassesAndReadsThePixels() throws SQLException {
    // shared/data's README: train 4000 = 396 366 420 384 422 393 414 385 407 413; test 1000 = 103
    // 89 100 ...
    List<Long> train = List.of(396L, 366L, 420L, 384L, 422L, 393L, 414L, 385L, 407L, 413L);
    List<Long> test = List.of(103L, 89L, 100L, 103L, 90L, 86L, 112L, 102L, 106L, 109L);
    List<List<Object>> counts =
        query(
            "SELECT split, label, count(*) FROM "
                + shards(images)
                + " GROUP BY split, label ORDER BY split DESC, label");
    List<List<Object>> expected = new ArrayList<>();
    for (int label = 0; label < 10; label++) {
      expected.add(List.of("train", label, train.get(label)));
    }
    for (int label = 0; label < 10; label++) {
      expected.add(List.of("test", label, test.get(label)));
    }
    assertThat(counts).containsExactlyElementsOf(expected);

    // Test record 0: a cat (3) whose first pixel is R,G,B = 158,112,49 (planes of 1,024 bytes).
    List<List<Object>> first =
        query(
            "SELECT source_file, label, coarse_label IS NULL, octet_length(image), image FROM "
                + shards(images)
                + " WHERE split = 'test' AND \"index\" = 0");
    assertThat(first).hasSize(1);
    assertThat(first.get(0).subList(0, 4)).containsExactly("test_batch.bin", 3, true, 3072L);
    byte[] image = (byte[]) first.get(0).get(4);
    assertThat(new int[] {image[0] & 0xFF, image[1024] & 0xFF, image[2048] & 0xFF})
        .containsExactly(158, 112, 49);
  }
}
