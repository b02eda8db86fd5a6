package dev.polyak.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.data.synthetic.SyntheticWikiText;
import dev.polyak.data.text.WikiTextConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards are plain Parquet: pyarrow and DuckDB (the tools a user reaches for) read them with no
 * polyak code and see list&lt;int32&gt;, int64, binary. Skipped where python3 lacks them.
 */
class ParquetInteropTest {
  @TempDir Path dir;

  private static String python(String script) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
    boolean done = process.waitFor(120, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as("python3 finished").isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output.trim();
  }

  @Test
  void pyarrowAndDuckdbReadTheShards() throws Exception {
    Process probe = new ProcessBuilder("python3", "-c", "import pyarrow, duckdb").start();
    Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
        "python3 with pyarrow and duckdb not available (.ci/run installs them): skipping the interop check");

    Path text = dir.resolve("text");
    new SyntheticWikiText(800).write(text, 2, 30, 4, 4);
    Path textOut = dir.resolve("text-shards");
    WikiTextConfig config = new WikiTextConfig(16, "train", 1, 0, "<eos>", "<unk>", WikiTextConfig.Tail.PAD, 50, 0);
    PreprocessPipeline.run(new PreprocessPipeline.WikiTextJob(text, textOut, config, false), TestJobs.direct(2));
    Path images = dir.resolve("images");
    SyntheticCifar.write(images, CifarVariant.CIFAR100, 4, 30);
    Path imageOut = dir.resolve("image-shards");
    PreprocessPipeline.run(new PreprocessPipeline.CifarJob(images, imageOut, Optional.empty(), new CifarConfig(16, 0), false),
        TestJobs.direct(2));

    String schema = python("import glob, pyarrow.parquet as pq\n"
        + "s = pq.read_schema(sorted(glob.glob('" + textOut + "/train-*.parquet'))[0])\n"
        + "print(';'.join(f'{f.name}:{f.type}' for f in s))");
    assertThat(schema).isEqualTo("split:string;sequence_index:int64;input_ids:list<element: int32 not null>;"
        + "length:int32;first_line:int64;first_token_in_line:int32");

    String rows = python("import duckdb\n"
        + "print(duckdb.sql(\"SELECT split, count(*), min(len(input_ids)), max(len(input_ids)), max(sequence_index) + 1"
        + " FROM '" + textOut + "/*.parquet' GROUP BY split ORDER BY split\").fetchall())");
    List<String> expected = new java.util.ArrayList<>();
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> splits = (java.util.Map<String, Object>)
        dev.polyak.data.manifest.Manifests.read(textOut.resolve("manifest.json")).get("splits");
    for (String split : List.of("test", "train", "valid")) {
      @SuppressWarnings("unchecked")
      Object sequences = ((java.util.Map<String, Object>) splits.get(split)).get("sequences");
      expected.add("('" + split + "', " + sequences + ", 16, 16, " + sequences + ")");
    }
    assertThat(rows).isEqualTo("[" + String.join(", ", expected) + "]");

    String image = python("import duckdb\n"
        + "print(duckdb.sql(\"SELECT count(*), min(octet_length(image)), max(octet_length(image)),"
        + " count(coarse_label) FROM '" + imageOut + "/train-*.parquet'\").fetchall())");
    assertThat(image).isEqualTo("[(30, 3072, 3072, 30)]");
  }
}
